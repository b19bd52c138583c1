"""Signing in through allauth's app API as the mobile app does: password, then the TOTP code
when the account has one. The token it returns authenticates the REST API (X-Session-Token)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from tests.accounts.factories import activate_totp, totp_code, verified_email

APP_LOGIN = "/_allauth/app/v1/auth/login"
APP_SECOND_FACTOR = "/_allauth/app/v1/auth/2fa/authenticate"
PASSWORD = "Xinglin-test-2026"


def app_session_token(user: User, *, client: APIClient | None = None) -> str:
    """Logs `user` in through the app API (a clinician with TOTP, as the site requires) and
    returns the session token."""
    from allauth.mfa.models import Authenticator

    client = client or APIClient()
    verified_email(user)
    if user.is_clinical_or_staff and not Authenticator.objects.filter(user=user).exists():
        activate_totp(user)
    response = client.post(APP_LOGIN, {"email": user.email, "password": PASSWORD}, format="json")
    body = response.json()
    token = body["meta"]["session_token"]
    if response.status_code == 401:
        pending = [f["id"] for f in body["data"]["flows"] if f.get("is_pending")]
        assert pending == ["mfa_authenticate"], body
        response = client.post(
            APP_SECOND_FACTOR, {"code": totp_code()}, format="json", HTTP_X_SESSION_TOKEN=token
        )
        body = response.json()
        token = body["meta"]["session_token"]
    assert response.status_code == 200, body
    assert body["meta"]["is_authenticated"] is True, body
    return token


def app_client(user: User) -> APIClient:
    """An API client that sends the app session token of `user` with every request."""
    client = APIClient()
    client.credentials(HTTP_X_SESSION_TOKEN=app_session_token(user, client=client))
    return client


def browser_login(client: Client, user: User) -> Client:
    """Logs `user` in through the web pages as a person does: the password form, then the
    authenticator code (a clinician gets TOTP first, as the site requires)."""
    from allauth.mfa.models import Authenticator

    verified_email(user)
    if user.is_clinical_or_staff and not Authenticator.objects.filter(user=user).exists():
        activate_totp(user)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    if response["Location"].startswith(reverse("mfa_authenticate")):
        response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
        assert response.status_code == 302, response.content
    assert str(client.session.get("_auth_user_id")) == str(user.pk)
    return client


class JsonClient:
    """The cookie-session client speaking JSON like an APIClient with `format="json"`, so one
    test body serves both sessions."""

    def __init__(self, client: Client):
        self.client = client

    def post(self, path: str, data: dict | None = None, **extra):
        extra.pop("format", None)
        return self.client.post(path, data or {}, content_type="application/json", **extra)

    def get(self, path: str, **extra):
        return self.client.get(path, **extra)

    def patch(self, path: str, data: dict, **extra):
        extra.pop("format", None)
        return self.client.patch(path, data, content_type="application/json", **extra)


def signed_in(kind: str, user):
    """A client of `user` signed in with password and TOTP through the app API (token) or
    through the web pages (cookie)."""
    if kind == "app":
        return app_client(user)
    return JsonClient(browser_login(Client(), user))
