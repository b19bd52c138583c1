"""The login lockout: five attempts for one email address from one client address, then 30
minutes locked, on the web login and the app API login alike; the client address is the one
the trusted proxies saw, so a forged X-Forwarded-For neither dodges nor resets it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import LoginLockout
from tests.accounts.factories import PatientUserFactory, verified_email

pytestmark = pytest.mark.django_db

PASSWORD = "Xinglin-test-2026"
LOCKED_TEXT = "Too many failed logins"


@pytest.fixture
def patient():
    return verified_email(PatientUserFactory())


def web_login(client: Client, email: str, password: str, **headers: str):
    headers.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    return client.post("/accounts/login/", {"login": email, "password": password}, **headers)


def app_login(client: Client, email: str, password: str, **headers: str):
    return client.post(
        "/_allauth/app/v1/auth/login",
        {"email": email, "password": password},
        content_type="application/json",
        **headers,
    )


def app_error_codes(response) -> set[str]:
    return {error.get("code", "") for error in response.json().get("errors", [])}


def test_five_failed_web_logins_lock_even_the_right_password_out(client, patient):
    for _ in range(5):
        response = web_login(client, patient.email, "wrong-password")
        assert response.status_code == 200
        assert LOCKED_TEXT not in response.content.decode()
    response = web_login(client, patient.email, PASSWORD)
    assert response.status_code == 200
    assert LOCKED_TEXT in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_is_shown_in_chinese(client, patient):
    for _ in range(5):
        web_login(client, patient.email, "wrong-password")
    response = web_login(client, patient.email, PASSWORD, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "登录失败次数过多" in response.content.decode()


def test_four_failures_then_the_right_password_logs_in_and_starts_over(client, patient):
    for _ in range(4):
        web_login(client, patient.email, "wrong-password")
    assert web_login(client, patient.email, PASSWORD).status_code == 302
    assert not LoginLockout.objects.exists()
    client.post("/accounts/logout/")
    for _ in range(4):
        web_login(client, patient.email, "wrong-password")
    assert web_login(client, patient.email, PASSWORD).status_code == 302


def test_the_app_login_is_locked_by_the_same_count(client, patient):
    for _ in range(3):
        web_login(client, patient.email, "wrong-password")
    statuses = [app_login(client, patient.email, "wrong-password").status_code for _ in range(2)]
    assert statuses == [400, 400]
    response = app_login(client, patient.email, PASSWORD)
    assert response.status_code == 400
    assert "login_locked" in app_error_codes(response)
    assert "session_token" not in response.json().get("meta", {})


def test_the_lock_lifts_after_thirty_minutes(client, patient):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            web_login(client, patient.email, "wrong-password")
        traveller.shift(dt.timedelta(minutes=29))
        assert LOCKED_TEXT in web_login(client, patient.email, PASSWORD).content.decode()
        traveller.shift(dt.timedelta(minutes=2))
        assert web_login(client, patient.email, PASSWORD).status_code == 302


def test_the_email_is_matched_whatever_its_case(client, patient):
    for _ in range(5):
        web_login(client, patient.email.upper(), "wrong-password")
    assert LOCKED_TEXT in web_login(client, patient.email, PASSWORD).content.decode()


def test_a_forged_forwarded_for_does_not_dodge_the_lock_without_a_trusted_proxy(
    client, patient, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    for attempt in range(5):
        web_login(
            client, patient.email, "wrong-password", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}"
        )
    response = web_login(client, patient.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.77")
    assert LOCKED_TEXT in response.content.decode()
    assert set(LoginLockout.objects.values_list("client_address", flat=True)) == {"127.0.0.1"}


def test_behind_a_proxy_only_the_address_it_saw_counts(client, patient, settings):
    """The proxy appends the address it saw: whatever the client put before it is ignored."""
    settings.TRUSTED_PROXY_COUNT = 1
    for attempt in range(5):
        web_login(
            client,
            patient.email,
            "wrong-password",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}, 203.0.113.5",
        )
    forged = web_login(
        client, patient.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.5"
    )
    assert LOCKED_TEXT in forged.content.decode()
    # Another client behind the same proxy is somebody else: not locked.
    other = web_login(Client(), patient.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert other.status_code == 302


def test_a_forged_address_cannot_reset_the_lock(client, patient, settings):
    """A success from another address lifts only that address's count."""
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        web_login(client, patient.email, "wrong-password", HTTP_X_FORWARDED_FOR="203.0.113.5")
    owner = web_login(Client(), patient.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert owner.status_code == 302
    again = web_login(client, patient.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert LOCKED_TEXT in again.content.decode()
