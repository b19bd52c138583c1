"""Sign-up, email verification, login, logout, password reset and the headless app API."""

import re

import pytest
from django.core import mail

from accounts.models import User
from accounts.roles import Role
from tests.accounts.factories import PatientUserFactory, verified_email

pytestmark = pytest.mark.django_db

PASSWORD = "Xinglin-test-2026"
APP_LOGIN = "/_allauth/app/v1/auth/login"
APP_SESSION = "/_allauth/app/v1/auth/session"


def first_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_signup_sends_a_verification_mail_and_login_waits_for_it(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "New.Patient@Example.test",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "consent": "on",
        },
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "new.patient@example.test" in mail.outbox[0].to
    user = User.objects.get(email="new.patient@example.test")
    assert user.has_role(Role.PATIENT)
    assert not is_logged_in(client)

    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert not is_logged_in(client)

    confirm_url = first_link(mail.outbox[-1])
    client.post(confirm_url)
    assert user.emailaddress_set.get().verified

    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert is_logged_in(client)


def test_login_and_logout(client):
    user = verified_email(PatientUserFactory())
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert is_logged_in(client)
    client.post("/accounts/logout/")
    assert not is_logged_in(client)


def test_wrong_password_does_not_log_in(client):
    user = verified_email(PatientUserFactory())
    response = client.post("/accounts/login/", {"login": user.email, "password": "wrong-one-x"})
    assert response.status_code == 200
    assert not is_logged_in(client)


def test_password_reset_by_mail(client):
    user = verified_email(PatientUserFactory())
    client.post("/accounts/password/reset/", {"email": user.email})
    assert len(mail.outbox) == 1
    response = client.get(first_link(mail.outbox[0]))
    assert response.status_code == 302
    new_password = "An0ther-Strong-pass"
    response = client.post(response.url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_app_signup_gives_the_patient_role_and_waits_for_verification(api_client):
    response = api_client.post(
        "/_allauth/app/v1/auth/signup",
        {"email": "app.user@example.test", "password": PASSWORD, "consent": True},
        format="json",
    )
    assert response.status_code == 401
    flows = {flow["id"]: flow for flow in response.json()["data"]["flows"]}
    assert flows["verify_email"].get("is_pending")
    assert User.objects.get(email="app.user@example.test").has_role(Role.PATIENT)
    assert len(mail.outbox) == 1


def test_app_login_returns_a_session_token_that_authenticates_the_api(api_client):
    user = verified_email(PatientUserFactory())
    response = api_client.post(
        APP_LOGIN, {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.json()
    token = response.json()["meta"]["session_token"]

    response = api_client.get("/api/v1/me/patients/", HTTP_X_SESSION_TOKEN=token)
    assert response.status_code == 200
    assert response.json()["results"] == []

    api_client.delete(APP_SESSION, HTTP_X_SESSION_TOKEN=token)
    response = api_client.get("/api/v1/me/patients/", HTTP_X_SESSION_TOKEN=token)
    assert response.status_code == 401


def test_an_unknown_session_token_is_a_401(api_client):
    response = api_client.get("/api/v1/me/patients/", HTTP_X_SESSION_TOKEN="not-a-token")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "X-Session-Token"


def test_app_login_is_refused_until_the_email_is_verified(api_client):
    user = PatientUserFactory()
    response = api_client.post(
        APP_LOGIN, {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 401
    flows = {flow["id"]: flow for flow in response.json()["data"]["flows"]}
    assert flows["verify_email"].get("is_pending")
