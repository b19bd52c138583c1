"""Explicit tables of allowed status transitions, enforced in one place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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
