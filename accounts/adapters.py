from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.urls import reverse

from accounts.roles import Role, primary_role
from core.links import absolute_url, site_domain
from core.request_context import client_ip

# Where each role starts its day after logging in (a `next` the login was given still wins).
# URL names, not imports: accounts sits below the apps whose pages these are.
LOGIN_LANDING: dict[str, str] = {
    Role.DOCTOR: "hospital:doctor-consultations",
    Role.PHARMACIST: "hospital:review-queue",
    Role.OPERATOR: "admin:index",
}


@dataclass(frozen=True)
class _Site:
    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    """Every account that signs up by itself is a patient account. allauth's mails speak of the
    site as 杏林 and link to SITE_URL: on its own it names the site after the request's host
    ("[127.0.0.1:8000] …") and builds links on that host."""

    def save_user(self, request, user, form, commit=True):  # type: ignore[no-untyped-def]
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            from accounts.services import user_assign_role

            user_assign_role(user=user, role=Role.PATIENT)
        return user

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        """Every password check (the web login, the app API login, a password confirmation)
        counts against the login lockout first; a success lifts it."""
        from accounts.exceptions import LoginLocked
        from accounts.services import login_attempt_begin, login_attempt_succeeded

        email = str(credentials.get("email") or credentials.get("username") or "")
        lockout_key = {
            "email": email.strip().lower()[:254],
            "client_address": self.get_client_ip(request),
        }
        try:
            login_attempt_begin(**lockout_key)
        except LoginLocked as locked:
            raise forms.ValidationError(locked.message, code=locked.code) from None
        user = super().authenticate(request, **credentials)
        if user is not None:
            login_attempt_succeeded(**lockout_key)
        return user

    def get_client_ip(self, request: HttpRequest) -> str:
        # The one reading of the client address (TRUSTED_PROXY_COUNT) for allauth's rate
        # limits too: its own reads X-Forwarded-For under a setting of its own.
        return client_ip(request)[:45]

    def get_login_redirect_url(self, request):  # type: ignore[no-untyped-def]
        landing = LOGIN_LANDING.get(primary_role(getattr(request, "user", None)))
        return resolve_url(landing or settings.LOGIN_REDIRECT_URL)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        site = _Site(name=settings.SITE_NAME, domain=site_domain())
        super().send_mail(template_prefix, email, {"current_site": site, **context})

    def get_email_confirmation_url(self, request, emailconfirmation):  # type: ignore[no-untyped-def]
        return absolute_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key: str) -> str:
        # As allauth builds it: one opaque key standing for its uidb36 and key parts.
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return absolute_url(path.replace("UID-KEY", quote(key)))
