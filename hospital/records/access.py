"""Who may open a patient's health record, and the access log entry for every attempt.

- The account that acts for the patient (themself or family): always.
- The treating doctor: while a consultation with the patient is waiting or open, and for
  HOSPITAL_RECORD_FOLLOW_UP_ACCESS (30 days) after it closed. Not when suspended.
- Anyone a registered grant admits (the prescriptions issue registers the pharmacist who
  reviews a prescription for the patient).
- Nobody else: another patient's account, another doctor, an operator through the API. They get
  the same NotFound as for a patient who does not exist, and the attempt is logged as denied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile
from audit.services import access_log_record
from core.exceptions import NotFound
from hospital.consultations.models import ACTIVE_STATUSES, Consultation
from hospital.rules import figure

# (user, patient) -> a short reason when the grant admits the user, else None or "".
RecordAccessGrant = Callable[[Any, PatientProfile], str | None]

_GRANTS: dict[str, RecordAccessGrant] = {}


def record_access_grant_register(name: str, grant: RecordAccessGrant) -> None:
    """Adds a way in, e.g. a pharmacist reviewing a prescription for this patient.

    Registered by the module that owns the relationship (its AppConfig.ready), keyed by name so
    a reload does not add it twice.
    """
    _GRANTS[name] = grant


def _granting_q() -> Q:
    since = timezone.now() - figure("RECORD_FOLLOW_UP_ACCESS")
    return Q(doctor__is_suspended=False) & (
        Q(status__in=ACTIVE_STATUSES) | Q(status=Consultation.Status.CLOSED, closed_at__gte=since)
    )


def consultations_granting_access(*, doctor_user: Any) -> QuerySet[Consultation]:
    """The consultations through which this doctor may open their patients' records now."""
    return Consultation.objects.filter(_granting_q(), doctor__user_id=doctor_user.pk)


def treating_doctor_user_ids(*, patient_id: int) -> list[int]:
    """The accounts of the doctors who may open this patient's record now."""
    return list(
        Consultation.objects.filter(_granting_q(), patient_id=patient_id)
        .values_list("doctor__user_id", flat=True)
        .distinct()
    )


def record_access_reason(*, user: Any, patient: PatientProfile) -> str | None:
    """Why this user may open this patient's record ("account", "treating_doctor", a grant's
    reason), or None when they may not."""
    if not (user is not None and user.is_authenticated and user.is_active):
        return None
    if patient.account_id == user.pk:
        return "account"
    if consultations_granting_access(doctor_user=user).filter(patient_id=patient.pk).exists():
        return "treating_doctor"
    for grant in _GRANTS.values():
        reason = grant(user, patient)
        if reason:
            return reason
    return None


def record_access_resolve(
    *,
    user: Any,
    patient_id: int,
    action: str,
    object_type: str,
    object_id: Any = None,
    allowed_reasons: frozenset[str] | None = None,
    log_success: bool = True,
) -> tuple[PatientProfile, str]:
    """record_access_check that also says why access is granted; with `allowed_reasons`, any
    other reason is refused like no access at all (a pharmacist may read, not write)."""
    patient = PatientProfile.objects.filter(pk=patient_id).first()
    reason = record_access_reason(user=user, patient=patient) if patient else None
    if reason is None or (allowed_reasons is not None and reason not in allowed_reasons):
        access_log_record(
            actor=user,
            patient_id=patient_id,
            object_type=object_type,
            object_id=object_id,
            action=action,
            outcome="denied" if patient else "not_found",
            detail=reason or "",
        )
        raise NotFound(_("Patient not found."))
    assert patient is not None  # a reason is only ever given for an existing patient
    if log_success:
        access_log_record(
            actor=user,
            patient_id=patient.pk,
            object_type=object_type,
            object_id=object_id,
            action=action,
            detail=reason,
        )
    return patient, reason


def record_access_check(
    *,
    user: Any,
    patient_id: int,
    action: str,
    object_type: str,
    object_id: Any = None,
    log_success: bool = True,
) -> PatientProfile:
    """The patient whose record `user` wants to read or change, or NotFound.

    A refusal is logged here (outcome not_found when no such patient, denied when the patient
    exists but this user may not see them), outside any transaction so a rollback keeps it.
    Success is logged too unless the caller logs it itself after its write (log_success=False),
    so a failed write never leaves a "created" entry behind.
    """
    patient, _reason = record_access_resolve(
        user=user,
        patient_id=patient_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        log_success=log_success,
    )
    return patient


def record_access_log(
    *,
    user: Any,
    patient: PatientProfile,
    action: str,
    object_type: str,
    object_id: Any = None,
    outcome: str = "success",
    detail: str = "",
) -> None:
    """The log entry a caller writes itself, after a write or a not-found item."""
    access_log_record(
        actor=user,
        patient_id=patient.pk,
        object_type=object_type,
        object_id=object_id,
        action=action,
        outcome=outcome,
        detail=detail,
    )
