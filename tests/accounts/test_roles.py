import pytest
from django.contrib.auth.models import Group

from accounts import rules as account_rules
from accounts.models import User
from accounts.roles import STAFF_ROLES, Role
from accounts.services import user_assign_role
from tests.accounts.factories import (
    DoctorUserFactory,
    OperatorUserFactory,
    PatientProfileFactory,
    PatientUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_every_role_exists_as_a_group_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= {str(role) for role in Role}


def test_operator_group_may_view_and_change_accounts_but_not_delete_them():
    operator = OperatorUserFactory()
    assert operator.has_perm("accounts.view_user")
    assert operator.has_perm("accounts.change_user")
    assert operator.has_perm("accounts.view_patientprofile")
    assert operator.has_perm("accounts.change_patientprofile")
    assert not operator.has_perm("accounts.delete_patientprofile")
    assert not PatientUserFactory().has_perm("accounts.view_user")


def test_assigning_a_role_shows_in_role_names_at_once():
    user = UserFactory()
    assert user.role_names == frozenset()
    user_assign_role(user=user, role=Role.PHARMACIST)
    assert user.has_role(Role.PHARMACIST)
    assert user.is_clinical_or_staff


def test_operator_role_admits_the_account_to_the_admin_site():
    user = UserFactory()
    user_assign_role(user=user, role=Role.OPERATOR)
    user.refresh_from_db()
    assert user.is_staff


def test_patients_are_not_staff_and_superusers_are():
    assert not PatientUserFactory().is_clinical_or_staff
    assert User.objects.create_superuser("root@example.test", "x" * 12).is_clinical_or_staff
    assert Role.PATIENT not in STAFF_ROLES


def test_role_predicates():
    doctor, patient, operator = DoctorUserFactory(), PatientUserFactory(), OperatorUserFactory()
    assert account_rules.is_doctor(doctor)
    assert not account_rules.is_doctor(patient)
    assert account_rules.is_patient(patient)
    assert not account_rules.is_patient(doctor)
    assert account_rules.is_operator(operator)
    assert not account_rules.is_operator(doctor)
    assert not account_rules.is_pharmacist(doctor)
    assert not account_rules.is_claims_officer(doctor)


def test_an_account_acts_for_its_own_profiles_only():
    profile = PatientProfileFactory()
    stranger = PatientUserFactory()
    assert profile.account.has_perm("accounts.change_patientprofile", profile)
    assert not stranger.has_perm("accounts.view_patientprofile", profile)
    assert OperatorUserFactory().has_perm("accounts.view_patientprofile", profile)


def test_an_inactive_account_acts_for_nobody():
    profile = PatientProfileFactory(account__is_active=False)
    assert not profile.account.has_perm("accounts.view_patientprofile", profile)
