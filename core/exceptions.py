"""Domain errors shared by every app. The API maps them in one place (core.api)."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the operation; the message tells the person what to do.

    `field` names the input at fault when there is one, so the API can answer with field errors.
    """

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotAllowed(DomainError):
    """The actor may not do this (a role or ownership rule)."""

    status_code = 403
    code = "not_allowed"


class NotFound(DomainError):
    """The object does not exist, or is not visible to the actor (never tell which)."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The object's current state does not allow the operation (double booking, sold out)."""

    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, current: str, action: str):
        super().__init__(f"cannot {action} when status is {current}")
        self.current = current
        self.action = action
