from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, validate_totp_code
from allauth.mfa.utils import decrypt
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from accounts.models import User

MFA_REQUIRED_MESSAGE = _("Set up two-factor authentication before using staff functions.")


def user_has_mfa(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def user_needs_mfa_setup(user: User | AnonymousUser) -> bool:
    """Staff and clinicians may use no staff function until they have TOTP set up."""
    if not user.is_authenticated or not user.is_clinical_or_staff:
        return False
    cached = getattr(user, "_has_mfa", None)
    if cached is None:
        cached = user_has_mfa(user)
        user._has_mfa = cached  # type: ignore[attr-defined]
    return not cached


def _authenticating_session(request: Any) -> SessionBase | None:
    """The session that authenticated the request: the app session token's (DRF puts it in
    `request.auth`) or else the browser's cookie session."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, SessionBase):
        return auth
    http_request = getattr(request, "_request", request)
    return getattr(http_request, "session", None)


def second_factor_verified_at(request: Any) -> dt.datetime | None:
    """When the session behind this request last passed a second factor (allauth records it at
    login and reauthentication, in whichever session the client holds: the app's token or the
    browser's cookie); None when it never did."""
    from allauth.account.authentication import get_authentication_records

    session = _authenticating_session(request)
    user = getattr(request, "user", None)
    if session is None or user is None:
        return None
    # allauth reads the records from `request.session`; hand it the session that counts.
    records = get_authentication_records(SimpleNamespace(session=session), user)  # type: ignore[arg-type]
    times = [r.get("at") for r in records if r.get("method") == "mfa" and r.get("at")]
    if not times:
        return None
    return dt.datetime.fromtimestamp(max(times), tz=dt.UTC)


def _totp(user: User) -> TOTP | None:
    authenticator = Authenticator.objects.filter(
        user_id=user.pk, type=Authenticator.Type.TOTP
    ).first()
    return TOTP(authenticator) if authenticator is not None else None


def totp_code_is_valid(user: User, code: str) -> bool:
    """Whether `code` is the user's current authenticator code and not used yet. Reading it
    does not use it up: `totp_code_spend` does, once the action it confirms succeeds, so an
    action refused for another reason can be retried with the same code."""
    totp = _totp(user)
    if totp is None or not code:
        return False
    if not validate_totp_code(decrypt(totp.instance.data["secret"]), code):
        return False
    # The same marker allauth sets when a code logs in: a code used anywhere is used.
    return cache.get(totp._get_used_cache_key(code)) is None


def totp_code_spend(user: User, code: str) -> bool:
    """Marks the code used; False when it was used meanwhile (a concurrent request)."""
    totp = _totp(user)
    return totp is not None and totp.validate_code(code)
