from __future__ import annotations

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from allauth.headless.internal import sessionkit
from allauth.headless.tokens.strategies.sessions import (
    SessionTokenStrategy as AllauthSessionTokenStrategy,
)
from django.contrib.sessions.backends.base import SessionBase
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.request import Request

from accounts.mfa import MFA_REQUIRED_MESSAGE, user_needs_mfa_setup
from accounts.middleware import session_touch


class SessionTokenStrategy(AllauthSessionTokenStrategy):
    """allauth's session tokens. Its lookup asks whether the session exists and then loads it:
    two queries on every API request; loading it alone tells the same (a missing or expired
    session loads empty, without a key)."""

    def lookup_session(self, session_token: str) -> SessionBase | None:
        return sessionkit.lookup_session(session_token)


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth's app session token (X-Session-Token), with the same idle timeout and MFA rule
    as browser sessions."""

    def authenticate(self, request: Request):  # type: ignore[override]
        token = self.get_session_token(request)
        if not token:
            return None
        result = super().authenticate(request)
        if result is None:
            raise AuthenticationFailed(_("Session token is invalid or has expired."))
        user, session = result
        if not session_touch(session, user):
            session.flush()
            raise AuthenticationFailed(_("Session expired; log in again."))
        if session.modified:
            session.save()
        if user_needs_mfa_setup(user):
            raise PermissionDenied(MFA_REQUIRED_MESSAGE, code="mfa_required")
        return result

    def authenticate_header(self, request: Request) -> str:
        return "X-Session-Token"


class SessionTokenScheme(OpenApiAuthenticationExtension):
    """Documents the X-Session-Token header in the OpenAPI schema."""

    target_class = "accounts.authentication.SessionTokenAuthentication"
    name = "sessionToken"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Session-Token",
            "description": "Session token from allauth's app API: POST /_allauth/app/v1/auth/login",
        }
