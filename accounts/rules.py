"""Who may do what with accounts and patient profiles, and the figures that bound them.

This is the `rules` package's module for this app (imported by AutodiscoverRulesConfig):
predicates and object permissions live here, next to the domain figures, as in every app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import rules
from django.conf import settings

from accounts.roles import Role

if TYPE_CHECKING:
    from accounts.models import PatientProfile, User

# How many people (就诊人) one account may act for; archived profiles count too, since they
# can be restored. Hospitals in China typically allow 5-10; settings may override.
DEFAULT_MAX_PATIENT_PROFILES_PER_ACCOUNT = 10


def max_patient_profiles_per_account() -> int:
    return int(
        getattr(
            settings, "MAX_PATIENT_PROFILES_PER_ACCOUNT", DEFAULT_MAX_PATIENT_PROFILES_PER_ACCOUNT
        )
    )


def _has_role(user: User, role: Role) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_role(role))


@rules.predicate
def is_patient(user: User) -> bool:
    return _has_role(user, Role.PATIENT)


@rules.predicate
def is_doctor(user: User) -> bool:
    return _has_role(user, Role.DOCTOR)


@rules.predicate
def is_pharmacist(user: User) -> bool:
    return _has_role(user, Role.PHARMACIST)


@rules.predicate
def is_claims_officer(user: User) -> bool:
    return _has_role(user, Role.CLAIMS_OFFICER)


@rules.predicate
def is_operator(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser) or _has_role(
        user, Role.OPERATOR
    )


@rules.predicate
def acts_for_profile(user: User, profile: PatientProfile | None) -> bool:
    """The account holds this patient profile: it acts for that person (themself or family)."""
    return bool(
        profile is not None
        and user.is_authenticated
        and user.is_active
        and profile.account_id == user.pk
    )


rules.add_perm("accounts.view_patientprofile", acts_for_profile | is_operator)
rules.add_perm("accounts.change_patientprofile", acts_for_profile | is_operator)
