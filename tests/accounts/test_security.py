"""Staff two-factor authentication, idle session timeouts and the admin login lockout."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.accounts.factories import (
    DoctorUserFactory,
    OperatorUserFactory,
    PatientUserFactory,
    PharmacistUserFactory,
    activate_totp,
    totp_code,
    verified_email,
)

pytestmark = pytest.mark.django_db

PASSWORD = "Xinglin-test-2026"
API_URL = "/api/v1/me/patients/"
PAGE_URL = "/me/patients/"


def app_login(api_client, user) -> tuple[int, dict]:
    response = api_client.post(
        "/_allauth/app/v1/auth/login", {"email": user.email, "password": PASSWORD}, format="json"
    )
    return response.status_code, response.json()


@pytest.mark.parametrize(
    "make_staff",
    [
        DoctorUserFactory,
        PharmacistUserFactory,
        OperatorUserFactory,
        lambda: User.objects.create_superuser("root@example.test", PASSWORD),
    ],
)
def test_staff_pages_redirect_to_totp_setup_until_it_is_active(client, make_staff):
    staff = verified_email(make_staff())
    client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    response = client.get(PAGE_URL)
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")

    # allauth asks for the password again before adding an authenticator.
    response = client.get(reverse("mfa_activate_totp"))
    assert response.url.startswith(reverse("account_reauthenticate"))
    client.post(response.url, {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302

    assert staff.authenticator_set.filter(type="totp").exists()
    assert client.get(PAGE_URL).status_code == 200


def test_staff_api_over_the_browser_session_is_403_mfa_required(client):
    doctor = DoctorUserFactory()
    client.force_login(doctor)
    response = client.get(API_URL)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
    activate_totp(doctor)
    assert client.get(API_URL).status_code == 200


def test_staff_api_over_a_session_token_is_403_mfa_required_until_totp(api_client):
    pharmacist = verified_email(PharmacistUserFactory())
    status, body = app_login(api_client, pharmacist)
    assert status == 200
    token = body["meta"]["session_token"]
    response = api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"

    activate_totp(pharmacist)
    assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 200


def test_staff_with_totp_logs_in_over_the_app_api_with_a_code(api_client):
    doctor = verified_email(DoctorUserFactory())
    activate_totp(doctor)
    status, body = app_login(api_client, doctor)
    assert status == 401
    assert any(
        flow["id"] == "mfa_authenticate" and flow.get("is_pending")
        for flow in body["data"]["flows"]
    )
    token = body["meta"]["session_token"]
    assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 401

    response = api_client.post(
        "/_allauth/app/v1/auth/2fa/authenticate",
        {"code": totp_code()},
        format="json",
        HTTP_X_SESSION_TOKEN=token,
    )
    assert response.status_code == 200, response.json()
    token = response.json()["meta"].get("session_token", token)
    assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 200


def test_patients_need_no_totp(client):
    client.force_login(PatientUserFactory())
    assert client.get(PAGE_URL).status_code == 200
    assert client.get(API_URL).status_code == 200


def _idle_then_get(client, user, idle: dt.timedelta) -> int:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.force_login(user)
        assert client.get(PAGE_URL).status_code == 200
        traveller.shift(idle)
        return client.get(PAGE_URL).status_code


@pytest.mark.parametrize(("idle_minutes", "still_in"), [(29, True), (31, False)])
def test_patient_browser_session_ends_after_30_idle_minutes(client, idle_minutes, still_in):
    status = _idle_then_get(client, PatientUserFactory(), dt.timedelta(minutes=idle_minutes))
    assert (status == 200) is still_in


@pytest.mark.parametrize(("idle_minutes", "still_in"), [(14, True), (16, False)])
def test_staff_browser_session_ends_after_15_idle_minutes(client, idle_minutes, still_in):
    doctor = DoctorUserFactory()
    activate_totp(doctor)
    status = _idle_then_get(client, doctor, dt.timedelta(minutes=idle_minutes))
    assert (status == 200) is still_in


def test_activity_keeps_the_session_alive(client):
    patient = PatientUserFactory()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(patient)
        for _ in range(4):
            traveller.shift(dt.timedelta(minutes=20))
            assert client.get(PAGE_URL).status_code == 200


def test_idle_session_token_expires_too(api_client):
    patient = verified_email(PatientUserFactory())
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _status, body = app_login(api_client, patient)
        token = body["meta"]["session_token"]
        assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 200
        traveller.shift(dt.timedelta(minutes=31))
        response = api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token)
        assert response.status_code == 401
        # The session is gone for good, not only for that one request.
        traveller.shift(dt.timedelta(seconds=1))
        assert api_client.get(API_URL, HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_five_failed_admin_logins_lock_the_account_out(client):
    operator = OperatorUserFactory()
    statuses = [
        client.post(
            "/admin/login/?next=/admin/", {"username": operator.email, "password": "wrong-pass"}
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    response = client.post(
        "/admin/login/?next=/admin/", {"username": operator.email, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_fewer_failed_admin_logins_do_not_lock(client):
    operator = OperatorUserFactory()
    activate_totp(operator)
    for _ in range(4):
        client.post("/admin/login/?next=/admin/", {"username": operator.email, "password": "x"})
    response = client.post(
        "/admin/login/?next=/admin/", {"username": operator.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
