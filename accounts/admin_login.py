"""The admin login's lockout (django-axes), kept to the admin login."""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler


class AdminLoginLockoutHandler(AxesDatabaseHandler):
    """Axes counts failed admin logins only. AXES_ONLY_ADMIN_SITE stops it checking other
    logins but not counting them, and it then answers their fifth failure with a 429 while
    letting the sixth try a password: the account pages and the app API have a lockout of their
    own (accounts.services.login_attempt_begin), which counts before the password is checked."""

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        if request is None or not self.is_admin_request(request):
            return
        super().user_login_failed(sender, credentials, request, **kwargs)
