from typing import Any


def acting_user(actor: Any) -> Any:
    """The signed-in person behind an action, or None for the system (a scan, a task, a payment
    callback): what actor columns (event actor, picked by, requested by, access log) record."""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None
