import base64
import io

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import call_command
from django.urls import reverse

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo_data
from accounts.models import PatientProfile, User
from accounts.roles import Role
from accounts.validators import validate_resident_id
from tests.accounts.factories import totp_code

pytestmark = pytest.mark.django_db


def test_seeding_twice_creates_everything_once():
    seed_demo_data(stdout=io.StringIO())
    counts = (
        User.objects.count(),
        PatientProfile.objects.count(),
        Authenticator.objects.count(),
        EmailAddress.objects.count(),
    )
    seed_demo_data(stdout=io.StringIO())
    assert counts == (
        User.objects.count(),
        PatientProfile.objects.count(),
        Authenticator.objects.count(),
        EmailAddress.objects.count(),
    )
    assert counts[0] == len(DEMO_ACCOUNTS)


def test_demo_accounts_can_log_in_and_staff_have_totp():
    seed_demo_data(stdout=io.StringIO())
    for demo in DEMO_ACCOUNTS:
        user = User.objects.get(email=demo.email)
        assert user.check_password(DEMO_PASSWORD)
        assert user.has_role(demo.role)
        assert EmailAddress.objects.get(user=user).verified
        has_totp = Authenticator.objects.filter(user=user, type="totp").exists()
        assert has_totp is demo.needs_mfa
        if demo.needs_mfa:
            assert Authenticator.objects.filter(user=user, type="recovery_codes").exists()
    admin = User.objects.get(email="admin@xinglin.test")
    assert admin.is_superuser
    assert admin.has_role(Role.OPERATOR)


def test_demo_patients_have_valid_self_profiles_and_the_first_a_family():
    seed_demo_data(stdout=io.StringIO())
    first = User.objects.get(email="patient@xinglin.test")
    second = User.objects.get(email="patient2@xinglin.test")
    assert set(first.patient_profiles.values_list("relationship", flat=True)) == {
        "self",
        "child",
        "spouse",
    }
    assert list(second.patient_profiles.values_list("relationship", flat=True)) == ["self"]
    for profile in PatientProfile.objects.all():
        validate_resident_id(profile.resident_id_number)


def test_demo_logins_prints_every_account():
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    printed = out.getvalue()
    for demo in DEMO_ACCOUNTS:
        assert demo.email in printed
    assert DEMO_PASSWORD in printed


def test_the_demo_totp_secret_is_long_enough_for_authenticator_apps():
    assert len(base64.b32decode(DEMO_TOTP_SECRET)) * 8 >= 160


def test_a_demo_doctor_signs_in_with_the_code_demo_totp_prints(client, settings):
    settings.DEBUG = True
    seed_demo_data(stdout=io.StringIO())
    response = client.post(
        "/accounts/login/", {"login": "doctor@xinglin.test", "password": DEMO_PASSWORD}
    )
    assert response.url == reverse("mfa_authenticate")
    out = io.StringIO()
    call_command("demo_totp", stdout=out)
    code = out.getvalue().split()[0]
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="doctor@xinglin.test").pk)


def test_seeding_again_replaces_the_old_short_demo_secret():
    doctor = User.objects.create_user(email="doctor@xinglin.test", password=DEMO_PASSWORD)
    TOTP.activate(doctor, "JBSWY3DPEHPK3PXP")
    seed_demo_data(stdout=io.StringIO())
    totp = TOTP(Authenticator.objects.get(user=doctor, type="totp"))
    assert totp.validate_code(totp_code())
