from dataclasses import dataclass
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class SystemActor:
    """A part of the system acting on its own behalf, such as a payment gateway's callback: no
    person is signed in, yet the access log must say who acted rather than "someone not signed
    in". It is no user, so actor columns (which point to users) stay empty; the access log
    records its name in the actor role as "system:<name>"."""

    name: str
    is_authenticated: ClassVar[bool] = False

    @property
    def role_name(self) -> str:
        return f"{SYSTEM_ROLE_PREFIX}{self.name}"


SYSTEM_ROLE_PREFIX = "system:"

# What each system actor is called where people read the log, by the part before the first
# dot of its name ("payments.sandbox" is the payment system, whichever gateway it is).
SYSTEM_ACTOR_LABELS = {"payments": _("The payment system")}


def payment_system_actor(provider: str) -> SystemActor:
    """The payment gateway `provider` (its callback confirms a payment) as an actor."""
    return SystemActor(name=f"payments.{provider}")


def system_actor_label(actor_role: str) -> str | None:
    """The readable name of the system actor an access log actor role records, else None."""
    if not actor_role.startswith(SYSTEM_ROLE_PREFIX):
        return None
    system = actor_role.removeprefix(SYSTEM_ROLE_PREFIX).split(".", 1)[0]
    label = SYSTEM_ACTOR_LABELS.get(system)
    return str(label) if label is not None else None


def acting_user(actor: Any) -> Any:
    """The signed-in person behind an action, or None for the system (a scan, a task, a payment
    callback): what actor columns (event actor, picked by, requested by, access log) record."""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None
