"""Explicit tables of allowed status transitions, enforced in one place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.actors import acting_user
from core.exceptions import InvalidTransition


class TransitionTable:
    """Maps each status to the statuses it may move to.

    >>> table = TransitionTable({"draft": {"signed"}, "signed": set()})
    >>> table.check("draft", "signed")
    """

    def __init__(self, allowed: Mapping[str, Iterable[str]]):
        self.allowed = {state: frozenset(targets) for state, targets in allowed.items()}

    def can(self, current: str, target: str) -> bool:
        return target in self.allowed.get(current, frozenset())

    def check(self, current: str, target: str, *, action: str | None = None) -> None:
        if not self.can(current, target):
            raise InvalidTransition(str(current), action or f"move to {target}")


def status_change(
    instance: Any,
    target: str,
    *,
    actor: Any = None,
    note: str = "",
    fields: tuple[str, ...] = (),
) -> None:
    """Moves a row to `target`: checks its model's TRANSITIONS table, saves the status (with
    `updated_at` and any `fields` the caller changed alongside), and records a StatusChangeEvent
    in its `events`. The caller holds the row lock and the transaction."""
    type(instance).TRANSITIONS.check(instance.status, target)
    previous = instance.status
    instance.status = target
    instance.save(update_fields=["status", "updated_at", *fields])
    instance.events.create(
        from_status=previous,
        to_status=target,
        actor=acting_user(actor),
        note=note[:200],
    )
