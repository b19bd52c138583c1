from __future__ import annotations

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from allauth.headless.internal.sessionkit import lookup_session
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.request import Request

from accounts.middleware import session_touch
from accounts.mfa import user_needs_mfa_setup


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth's app session token (X-Session-Token), with the same idle timeout and MFA rule
    as browser sessions."""

    def authenticate(self, request: Request):  # type: ignore[override]
        token = self.get_session_token(request)
        if not token:
            return None
        result = super().authenticate(request)
        if result is None:
            raise AuthenticationFailed("Session token is invalid or has expired.")
        user = result[0]
        session = lookup_session(token)
        if session is not None:
            if not session_touch(session, user):
                session.flush()
                raise AuthenticationFailed("Session expired after inactivity; log in again.")
            session.save()
        if user_needs_mfa_setup(user):
            raise PermissionDenied("Set up two-factor authentication before using staff functions.")
        return result

    def authenticate_header(self, request: Request) -> str:
        return "X-Session-Token"
