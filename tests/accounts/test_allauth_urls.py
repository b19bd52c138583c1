"""Our allauth URL modules (accounts.allauth_urls, accounts.headless_urls) import the MFA views
on first use, to keep WebAuthn out of web workers; they must route exactly as allauth's own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import URLResolver, reverse

from accounts import allauth_urls, headless_urls
from tests.accounts.factories import DoctorUserFactory, activate_totp, totp_code, verified_email

PASSWORD = "Xinglin-test-2026"


def routes(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[tuple]:
    """Every route with its full name and what middleware reads off its view before calling it."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            view = pattern.callback
            yield (
                prefix + str(pattern.pattern),
                namespace + (pattern.name or ""),
                getattr(view, "csrf_exempt", False),
                getattr(view, "login_required", True),
            )


@pytest.mark.parametrize(
    ("ours", "allauths"),
    [(headless_urls, "allauth.headless.urls"), (allauth_urls, "allauth.urls")],
)
def test_routes_are_allauths(ours, allauths):
    import importlib

    theirs = importlib.import_module(allauths)
    assert list(routes(ours.urlpatterns)) == list(routes(theirs.urlpatterns))
    assert getattr(ours, "app_name", None) == getattr(theirs, "app_name", None)


@pytest.mark.django_db
def test_second_login_step_page_works_through_the_lazy_view(client):
    doctor = verified_email(DoctorUserFactory())
    activate_totp(doctor)
    response = client.post("/accounts/login/", {"login": doctor.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert client.get(response.url).status_code == 200

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == doctor.pk
