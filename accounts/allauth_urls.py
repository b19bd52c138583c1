"""allauth's account pages (mounted at /accounts/), with its MFA login pages imported on first use.

allauth.mfa.base.views imports the WebAuthn forms and login flow, and with them fido2 and
cryptography (see accounts.headless_urls): every web worker would carry them for the few
requests that are a second login step. The routes are those allauth.urls, allauth.mfa.urls and
allauth.mfa.base.urls build for our configuration: same paths, names and view decorators
(tests/accounts/test_allauth_urls.py compares them). For any other configuration (social
accounts, user sessions, WebAuthn, headless only) allauth's own routes are used as they are.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from allauth import app_settings
from allauth.account.internal.decorators import login_not_required
from allauth.mfa import app_settings as mfa_settings
from django.http import HttpRequest, HttpResponseBase
from django.urls import URLPattern, URLResolver, include, path


def mfa_base_view(name: str, *, login_step: bool = False) -> Callable[..., HttpResponseBase]:
    """`allauth.mfa.base.views.<name>`, imported on the first request that reaches it."""

    @functools.cache
    def view_func() -> Callable[..., HttpResponseBase]:
        from allauth.mfa.base import views

        return getattr(views, name)

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return view_func()(request, *args, **kwargs)

    # A login step is open before the visitor is signed in; allauth marks those views so.
    return login_not_required(view) if login_step else view


def mfa_urlpatterns() -> list[URLPattern | URLResolver]:
    patterns: list[URLPattern | URLResolver] = [
        path("", mfa_base_view("index"), name="mfa_index"),
        path(
            "authenticate/",
            mfa_base_view("authenticate", login_step=True),
            name="mfa_authenticate",
        ),
        path("reauthenticate/", mfa_base_view("reauthenticate"), name="mfa_reauthenticate"),
    ]
    if mfa_settings._TRUST_STAGE_ENABLED:
        patterns.append(path("trust/", mfa_base_view("trust", login_step=True), name="mfa_trust"))
    if "totp" in mfa_settings.SUPPORTED_TYPES:
        patterns.append(path("totp/", include("allauth.mfa.totp.urls")))
    if "recovery_codes" in mfa_settings.SUPPORTED_TYPES:
        patterns.append(path("recovery-codes/", include("allauth.mfa.recovery_codes.urls")))
    return patterns


urlpatterns: list[URLPattern | URLResolver]
if (
    app_settings.MFA_ENABLED
    and not app_settings.HEADLESS_ONLY
    and not app_settings.SOCIALACCOUNT_ENABLED
    and not app_settings.USERSESSIONS_ENABLED
    and "webauthn" not in mfa_settings.SUPPORTED_TYPES
):
    urlpatterns = [
        path("", include("allauth.account.urls")),
        path("2fa/", include(mfa_urlpatterns())),
    ]
else:
    from allauth import urls as allauth_urls

    urlpatterns = allauth_urls.urlpatterns
