"""Domain errors of accounts."""

from __future__ import annotations

import datetime as dt
import math

from django.utils import timezone
from django.utils.translation import ngettext

from core.exceptions import DomainError


class LoginLocked(DomainError):
    """Too many login attempts for this email address from this client address."""

    status_code = 429
    code = "login_locked"

    def __init__(self, *, locked_until: dt.datetime):
        minutes = max(1, math.ceil((locked_until - timezone.now()).total_seconds() / 60))
        super().__init__(
            ngettext(
                "Too many failed logins. Try again in %(minutes)d minute, or reset your password.",
                "Too many failed logins. Try again in %(minutes)d minutes, or reset your password.",
                minutes,
            )
            % {"minutes": minutes}
        )
        self.locked_until = locked_until
