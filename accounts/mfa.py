from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AnonymousUser
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
