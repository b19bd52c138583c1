"""An account's sessions: logging out, changing the password or being disabled signs it out of
every browser and app at once; staff sessions end 12 hours after signing in, however active."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import AccountSession
from accounts.services import user_deactivate
from tests.accounts.factories import (
    DoctorUserFactory,
    OperatorUserFactory,
    PatientUserFactory,
    activate_totp,
    verified_email,
)

pytestmark = pytest.mark.django_db

PASSWORD = "Xinglin-test-2026"
NEW_PASSWORD = "Another-pass-2027"
PAGE_URL = "/me/patients/"
API_URL = "/api/v1/me/patients/"


def browser_login(user, password: str = PASSWORD) -> Client:
    browser = Client()
    response = browser.post("/accounts/login/", {"login": user.email, "password": password})
    assert response.status_code == 302, response.content
    assert browser.get(PAGE_URL).status_code == 200
    return browser


def app_login(api_client, user) -> str:
    response = api_client.post(
        "/_allauth/app/v1/auth/login", {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.json()
    token = response.json()["meta"]["session_token"]
    assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 200
    return token


def signed_out(browser: Client) -> bool:
    response = browser.get(PAGE_URL)
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.fixture
def patient():
    return verified_email(PatientUserFactory())


def test_every_login_is_recorded_against_its_account(patient, api_client):
    browser_login(patient)
    app_login(api_client, patient)
    assert AccountSession.objects.filter(user=patient).count() == 2


def test_logging_out_in_one_browser_signs_the_other_browser_and_the_app_out(patient, api_client):
    home, phone_browser = browser_login(patient), browser_login(patient)
    token = app_login(api_client, patient)

    home.post("/accounts/logout/")

    assert signed_out(home)
    assert signed_out(phone_browser)
    assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 401
    assert not AccountSession.objects.filter(user=patient).exists()


def test_logging_out_of_the_app_signs_the_browsers_out(patient, api_client):
    browser = browser_login(patient)
    token = app_login(api_client, patient)

    response = api_client.delete("/_allauth/app/v1/auth/session", HTTP_X_SESSION_TOKEN=token)

    assert response.status_code == 401  # allauth: no longer authenticated
    assert signed_out(browser)
    assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_changing_the_password_signs_out_every_other_session(patient, api_client):
    browser, other_browser = browser_login(patient), browser_login(patient)
    token = app_login(api_client, patient)

    response = browser.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert signed_out(other_browser)
    assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 401
    # The new password works; the old one does not.
    browser_login(patient, NEW_PASSWORD)
    refused = Client().post("/accounts/login/", {"login": patient.email, "password": PASSWORD})
    assert refused.status_code == 200


def test_a_password_set_by_an_operator_signs_the_account_out(patient, api_client):
    browser = browser_login(patient)
    token = app_login(api_client, patient)

    patient.set_password(NEW_PASSWORD)
    patient.save()

    assert signed_out(browser)
    assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_disabling_an_account_signs_it_out_at_once(patient, api_client):
    browser = browser_login(patient)
    token = app_login(api_client, patient)

    user_deactivate(user=patient)

    assert signed_out(browser)
    assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 401
    # Enabling it again does not bring the old sessions back.
    patient.is_active = True
    patient.save()
    assert signed_out(browser)
    assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_disabling_accounts_from_the_admin_signs_them_out(patient, api_client):
    operator = OperatorUserFactory()
    activate_totp(operator)
    admin = Client()
    admin.force_login(operator)
    browser = browser_login(patient)
    token = app_login(api_client, patient)

    response = admin.post(
        "/admin/accounts/user/",
        {"action": "disable_accounts", "_selected_action": [patient.pk]},
    )

    assert response.status_code == 302
    patient.refresh_from_db()
    assert not patient.is_active
    assert signed_out(browser)
    assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_unrelated_changes_to_an_account_keep_its_sessions(patient):
    browser = browser_login(patient)
    patient.display_name = "王芳"
    patient.save()
    assert browser.get(PAGE_URL).status_code == 200


def test_another_accounts_logout_leaves_this_one_signed_in(patient):
    browser = browser_login(patient)
    other = browser_login(verified_email(PatientUserFactory()))
    other.post("/accounts/logout/")
    assert browser.get(PAGE_URL).status_code == 200


def _active_every(minutes: int, browser: Client, traveller, hours: float) -> list[int]:
    statuses = []
    for _ in range(int(hours * 60 / minutes)):
        traveller.shift(dt.timedelta(minutes=minutes))
        response = browser.get(PAGE_URL)
        statuses.append(response.status_code)
    return statuses


def test_a_staff_session_ends_twelve_hours_after_signing_in_however_active():
    doctor = verified_email(DoctorUserFactory())
    activate_totp(doctor)
    browser = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        browser.force_login(doctor)
        statuses = _active_every(12, browser, traveller, hours=12)
        assert set(statuses) == {200}  # the last one at exactly 12 h
        traveller.shift(dt.timedelta(minutes=12))
        assert signed_out(browser)


def test_a_staff_session_token_ends_twelve_hours_after_signing_in(api_client):
    operator = OperatorUserFactory()
    activate_totp(operator)
    browser = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        browser.force_login(operator)
        token = browser.session.session_key  # an app token is a session like the browser's
        for _ in range(12 * 5):
            traveller.shift(dt.timedelta(minutes=12))
            assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 200
        traveller.shift(dt.timedelta(minutes=12))
        assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_a_patient_in_use_stays_signed_in_past_twelve_hours(patient):
    browser = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        browser.force_login(patient)
        statuses = _active_every(26, browser, traveller, hours=13)
    assert set(statuses) == {200}


def test_an_idle_browser_session_ends_alone(patient, api_client):
    """Idling out is not a logout: the account's app stays signed in."""
    browser = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        browser.force_login(patient)
        token = app_login(api_client, patient)
        traveller.shift(dt.timedelta(minutes=20))
        assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 200
        traveller.shift(dt.timedelta(minutes=15))
        assert signed_out(browser)
        assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 200
