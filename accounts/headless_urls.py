"""allauth's headless API (mounted at /_allauth/), with its MFA views imported on first use.

allauth.headless.mfa.views imports the WebAuthn forms whatever MFA_SUPPORTED_TYPES says, and
with them fido2 and cryptography: about 10 MiB in every web worker for a method we do not offer
(we offer TOTP and recovery codes). The routes are allauth's own, built the way
allauth.headless.urls and allauth.headless.mfa.urls build them: same paths, names, namespaces
and view decorators (tests/accounts/test_allauth_urls.py compares them). Should WebAuthn be
enabled one day, allauth's MFA routes are used as they are.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from allauth import app_settings as allauth_settings
from allauth.headless import app_settings
from allauth.headless.account import urls as account_urls
from allauth.headless.base import urls as base_urls
from allauth.headless.constants import Client
from allauth.headless.internal import decorators
from allauth.headless.tokens import urls as tokens_urls
from allauth.mfa import app_settings as mfa_settings
from django.http import HttpRequest, HttpResponseBase
from django.urls import URLPattern, URLResolver, include, path


def mfa_view(name: str, client: Client) -> Callable[..., HttpResponseBase]:
    """`allauth.headless.mfa.views.<name>.as_api_view(client=client)`, the view class imported
    on the first request that reaches it."""

    @functools.cache
    def view_func() -> Callable[..., HttpResponseBase]:
        from allauth.headless.mfa import views

        return getattr(views, name).as_view(client=client)

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return view_func()(request, *args, **kwargs)

    # The decorators as_api_view applies, applied now: they mark the view csrf_exempt (app
    # client) and login_not_required, which middleware reads before the view is called.
    if client == Client.APP:
        return decorators.app_view(view)
    return decorators.browser_view(view)


def mfa_urlpatterns(client: Client) -> list[URLPattern | URLResolver]:
    if "webauthn" in mfa_settings.SUPPORTED_TYPES:
        # Its views need the WebAuthn machinery anyway.
        from allauth.headless.mfa import urls as mfa_urls

        return mfa_urls.build_urlpatterns(client)

    auth_patterns = [
        path("2fa/authenticate", mfa_view("AuthenticateView", client), name="authenticate"),
        path("2fa/reauthenticate", mfa_view("ReauthenticateView", client), name="reauthenticate"),
    ]
    if mfa_settings.TRUST_ENABLED and client == Client.BROWSER:
        auth_patterns.append(path("2fa/trust", mfa_view("TrustView", client), name="trust"))
    authenticators = []
    if "totp" in mfa_settings.SUPPORTED_TYPES:
        authenticators.append(path("totp", mfa_view("ManageTOTPView", client), name="manage_totp"))
    if "recovery_codes" in mfa_settings.SUPPORTED_TYPES:
        authenticators.append(
            path(
                "recovery-codes",
                mfa_view("ManageRecoveryCodesView", client),
                name="manage_recovery_codes",
            )
        )
    return [
        path("auth/", include(auth_patterns)),
        path(
            "account/",
            include(
                [
                    path(
                        "authenticators",
                        mfa_view("AuthenticatorsView", client),
                        name="authenticators",
                    ),
                    path("authenticators/", include(authenticators)),
                ]
            ),
        ),
    ]


def _section(urlpatterns: list[URLPattern | URLResolver], namespace: str) -> URLResolver:
    return path("", include((urlpatterns, "headless"), namespace=namespace))


def build_urlpatterns(client: Client) -> list[URLPattern | URLResolver]:
    """allauth.headless.urls.build_urlpatterns, with mfa_urlpatterns for the MFA routes."""
    patterns: list[URLPattern | URLResolver] = []
    patterns.extend(base_urls.build_urlpatterns(client))
    patterns.append(_section(account_urls.build_urlpatterns(client), "account"))
    if allauth_settings.SOCIALACCOUNT_ENABLED:
        from allauth.headless.socialaccount import urls as socialaccount_urls

        patterns.append(_section(socialaccount_urls.build_urlpatterns(client), "socialaccount"))
    if allauth_settings.MFA_ENABLED:
        patterns.append(_section(mfa_urlpatterns(client), "mfa"))
    if allauth_settings.USERSESSIONS_ENABLED:
        from allauth.headless.usersessions import urls as usersessions_urls

        patterns.append(_section(usersessions_urls.build_urlpatterns(client), "usersessions"))
    if client == Client.APP:
        patterns.append(_section(tokens_urls.build_urlpatterns(client), "tokens"))
    return [path("v1/", include(patterns))]


app_name = "headless"
urlpatterns: list[URLPattern | URLResolver] = []
if Client.BROWSER in app_settings.CLIENTS:
    urlpatterns.append(
        path(
            "browser/",
            include((build_urlpatterns(Client.BROWSER), "headless"), namespace="browser"),
        )
    )
if Client.APP in app_settings.CLIENTS:
    urlpatterns.append(
        path("app/", include((build_urlpatterns(Client.APP), "headless"), namespace="app"))
    )
if app_settings.SERVE_SPECIFICATION:
    urlpatterns.append(path("", include("allauth.headless.spec.urls")))
