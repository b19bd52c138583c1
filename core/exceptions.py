"""Domain errors shared by every app. The API maps them in one place (core.api)."""

from __future__ import annotations

from django.conf import settings
from django.db.utils import InterfaceError, OperationalError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

StrOrPromise = str | Promise

UNAVAILABLE_MESSAGE = _("The service is temporarily unavailable; try again later.")

# The database cannot be reached (restarting, failing over, out of connections): a state that
# passes by itself, so the answer is 503 with Retry-After, not a fault of ours (500).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def database_unavailable_body() -> dict[str, str]:
    return {"detail": str(UNAVAILABLE_MESSAGE), "code": "service_unavailable"}


class DomainError(Exception):
    """A rule of the domain refused the operation; the message tells the person what to do.

    `field` names the input at fault when there is one, so the API can answer with field errors.
    """

    status_code = 400
    code = "invalid"
    # For a fault of ours (5xx): what a person is told in production, where `message` (which
    # may name files, hosts or settings) goes only to the operators' log.
    public_message: StrOrPromise = ""

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def message_for_people(self) -> str:
        """The message to show: the domain's own for a refusal (4xx), a generic one for a
        fault of ours (5xx) unless DEBUG."""
        if self.status_code < 500 or settings.DEBUG:
            return self.message
        return str(self.public_message or UNAVAILABLE_MESSAGE)


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
