"""Signing up means accepting the user agreement and privacy policy, on the web and in the app."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import ConsentRecord, User
from tests.accounts.factories import OperatorUserFactory, PatientUserFactory, activate_totp

pytestmark = pytest.mark.django_db

PASSWORD = "Xinglin-test-2026"
APP_SIGNUP = "/_allauth/app/v1/auth/signup"


def web_signup(client, headers=None, **extra):
    data = {"email": "consent@example.test", "password1": PASSWORD, "password2": PASSWORD}
    return client.post(
        "/accounts/signup/", {**data, **extra}, HTTP_ACCEPT_LANGUAGE="en", **(headers or {})
    )


def test_the_signup_page_links_both_texts_with_their_versions(client, settings):
    settings.LEGAL_TERMS_VERSION = "2026-12-01"
    settings.LEGAL_PRIVACY_VERSION = "2027-01-15"
    page = client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'name="consent"' in page
    assert 'href="/legal/terms/"' in page
    assert 'href="/legal/privacy/"' in page
    assert "2026-12-01" in page
    assert "2027-01-15" in page
    assert "用户协议" in page


def test_web_signup_without_consent_shows_a_field_error_and_creates_no_account(client):
    response = web_signup(client)
    assert response.status_code == 200
    assert "consent" in response.context["form"].errors
    assert "you must accept the user agreement" in response.content.decode()
    assert not User.objects.filter(email="consent@example.test").exists()
    assert not ConsentRecord.objects.exists()


def test_web_signup_with_consent_records_the_versions_and_the_time(client, settings):
    settings.LEGAL_TERMS_VERSION = "terms-v3"
    settings.LEGAL_PRIVACY_VERSION = "privacy-v7"
    before = timezone.now()
    response = web_signup(client, consent="on")
    assert response.status_code == 302
    user = User.objects.get(email="consent@example.test")
    record = user.consent_records.get()
    assert (record.terms_version, record.privacy_version) == ("terms-v3", "privacy-v7")
    assert record.sensitive_information
    assert record.channel == ConsentRecord.Channel.WEB
    assert record.ip_address == "127.0.0.1"
    assert before <= record.accepted_at <= timezone.now() + dt.timedelta(seconds=1)


def test_app_signup_without_consent_is_a_400_on_the_field_and_creates_no_account(api_client):
    response = api_client.post(
        APP_SIGNUP, {"email": "app.consent@example.test", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert {error.get("param") for error in response.json()["errors"]} == {"consent"}
    response = api_client.post(
        APP_SIGNUP,
        {"email": "app.consent@example.test", "password": PASSWORD, "consent": False},
        format="json",
    )
    assert response.status_code == 400
    assert not User.objects.filter(email="app.consent@example.test").exists()


def test_app_signup_with_consent_records_the_versions(api_client, settings):
    settings.LEGAL_TERMS_VERSION = "terms-v3"
    response = api_client.post(
        APP_SIGNUP,
        {"email": "app.consent@example.test", "password": PASSWORD, "consent": True},
        format="json",
    )
    assert response.status_code == 401  # created; waits for the email to be verified
    record = ConsentRecord.objects.get(user__email="app.consent@example.test")
    assert record.terms_version == "terms-v3"
    assert record.channel == ConsentRecord.Channel.APP


def test_a_forged_forwarded_address_does_not_stop_the_signup(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    response = web_signup(client, consent="on", headers={"HTTP_X_FORWARDED_FOR": "not-an-address"})
    assert response.status_code == 302
    assert ConsentRecord.objects.get().ip_address is None


def test_operators_see_consent_records_read_only_in_the_admin(client):
    operator = OperatorUserFactory()
    activate_totp(operator)
    client.force_login(operator)
    user = PatientUserFactory()
    record = ConsentRecord.objects.create(
        user=user, terms_version="t1", privacy_version="p1", channel="web"
    )
    response = client.get(f"/admin/accounts/consentrecord/{record.pk}/change/")
    assert response.status_code == 200
    assert 'name="terms_version"' not in response.content.decode()
    assert "t1" in response.content.decode()
    assert client.get("/admin/accounts/consentrecord/add/").status_code == 403
    response = client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert "p1" in response.content.decode()
