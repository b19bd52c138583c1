from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from accounts.mfa import MFA_REQUIRED_MESSAGE, user_needs_mfa_setup

# Paths a staff member without MFA may still reach: to set MFA up, log out, or be probed.
MFA_SETUP_ALLOWED_PREFIXES = (
    "/accounts/",
    "/_allauth/",
    "/static/",
    "/healthz",
    "/readyz",
    "/i18n/",
)
# Rewriting the session on every request costs a write; once a minute is precise enough.
ACTIVITY_WRITE_INTERVAL = 60
# When the session signed in (set by accounts.signals), for the staff's absolute session limit.
SIGNED_IN_AT_SESSION_KEY = "signed_in_at"
LAST_ACTIVITY_SESSION_KEY = "last_activity"


def idle_timeout_for(user: object) -> int:
    if getattr(user, "is_clinical_or_staff", False):
        return settings.SESSION_IDLE_TIMEOUT_STAFF
    return settings.SESSION_IDLE_TIMEOUT_PATIENT


def session_touch(session: object, user: object) -> bool:
    """Records activity on a session; False when it had been idle too long, or is a staff
    session older than SESSION_ABSOLUTE_LIMIT_STAFF (the caller ends it)."""
    now = time.time()
    last = session.get(LAST_ACTIVITY_SESSION_KEY)  # type: ignore[attr-defined]
    if last is not None and now - float(last) > idle_timeout_for(user):
        return False
    if getattr(user, "is_clinical_or_staff", False):
        signed_in_at = session.get(SIGNED_IN_AT_SESSION_KEY)  # type: ignore[attr-defined]
        if signed_in_at is None:
            # A session from before the limit was kept: it counts from now.
            session[SIGNED_IN_AT_SESSION_KEY] = now  # type: ignore[index]
        elif now - float(signed_in_at) > settings.SESSION_ABSOLUTE_LIMIT_STAFF:
            return False
    if last is None or now - float(last) > ACTIVITY_WRITE_INTERVAL:
        session[LAST_ACTIVITY_SESSION_KEY] = now  # type: ignore[index]
    return True


class SessionIdleTimeoutMiddleware:
    """Ends a browser session idle for longer than its role allows (15 min staff, 30 patients),
    or a staff session past its absolute limit (12 h)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not session_touch(request.session, request.user):
            # This session only: not a logout (which signs the account out everywhere), the
            # account's other devices may be in use.
            request.session.flush()
            request.user = AnonymousUser()
        return self.get_response(request)


class StaffMfaRequiredMiddleware:
    """Sends a staff member without TOTP to set it up; the API answers 403 mfa_required."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if user_needs_mfa_setup(request.user) and not request.path.startswith(
            MFA_SETUP_ALLOWED_PREFIXES
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": str(MFA_REQUIRED_MESSAGE),
                        "code": "mfa_required",
                    },
                    status=403,
                )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
