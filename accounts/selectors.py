"""Reads of accounts and patient profiles, always scoped to who asks."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, QuerySet, Value, When
from django.utils.translation import gettext as _

from accounts.models import PatientProfile, User
from audit.models import AccessLogEntry
from audit.selectors import access_log_for_patient
from core.exceptions import NotFound


def patient_profile_list(
    *, account: User, include_archived: bool = False
) -> QuerySet[PatientProfile]:
    """The people this account acts for, "self" first, then in the order they were added."""
    profiles = PatientProfile.objects.filter(account_id=account.pk)
    if not include_archived:
        profiles = profiles.filter(is_archived=False)
    self_first = Case(
        When(relationship=PatientProfile.Relationship.SELF, then=Value(0)), default=Value(1)
    )
    return profiles.order_by("is_archived", self_first, "id")


def patient_profile_get(
    *, account: User, profile_id: int, include_archived: bool = True
) -> PatientProfile:
    """One of this account's profiles; another account's (or a missing) one is NotFound.

    Booking, prescribing and buying pass include_archived=False: an archived person can be
    looked at and restored, not acted for.
    """
    profiles = PatientProfile.objects.filter(account_id=account.pk)
    if not include_archived:
        profiles = profiles.filter(is_archived=False)
    profile = profiles.filter(pk=profile_id).first()
    if profile is None:
        raise NotFound(_("No such patient profile."))
    return profile


def patient_access_log(*, account: Any, patient_id: int) -> QuerySet[AccessLogEntry]:
    """Who looked at or changed this patient's record, for the account that acts for the
    patient only; another account's patient is not found."""
    if not PatientProfile.objects.filter(pk=patient_id, account_id=account.pk).exists():
        raise NotFound(_("Patient not found."))
    return access_log_for_patient(patient_id=patient_id)
