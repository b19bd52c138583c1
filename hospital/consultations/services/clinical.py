"""What the doctor records in a consultation: diagnoses, the follow-up gate (复诊 evidence), whether
it may lead to a prescription."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import Conflict, DomainError, NotFound
from hospital.consultations.models import Consultation, ConsultationDiagnosis
from hospital.consultations.selectors import follow_up_evidence_choices
from hospital.consultations.services.visits import (
    consultation_audit,
    consultation_locked_for_treating_doctor,
    consultation_require_open,
)
from hospital.doctors.services import doctor_check_may_practise
from hospital.icd10 import icd10_description, icd10_validate

S = Consultation.Status


@dataclass(frozen=True)
class DiagnosisEntry:
    code: str
    is_primary: bool = False


@transaction.atomic
def consultation_record_diagnoses(
    *,
    doctor_user: Any,
    consultation_id: int,
    diagnoses: list[DiagnosisEntry],
    notes: str | None = None,
    advice: str | None = None,
    follow_up_on: dt.date | None = None,
) -> Consultation:
    """Adds ICD-10 diagnoses (validated), and sets the notes, advice and follow-up date when
    given. A code already recorded is updated, not duplicated; at most one diagnosis is
    primary (a new primary demotes the old one; the first recorded is primary by default)."""
    consultation = consultation_locked_for_treating_doctor(doctor_user, consultation_id)
    consultation_require_open(consultation, _("record diagnoses"))
    primaries = [entry for entry in diagnoses if entry.is_primary]
    if len(primaries) > 1:
        raise DomainError(_("Only one diagnosis can be primary."), field="diagnoses")
    codes = [icd10_validate(entry.code, field="diagnoses") for entry in diagnoses]
    if len(set(codes)) != len(codes):
        raise DomainError(_("Each code can be given once."), field="diagnoses")
    if follow_up_on is not None and follow_up_on <= timezone.localdate():
        raise DomainError(_("The follow-up date must be in the future."), field="follow_up_on")
    existing = {d.code: d for d in consultation.diagnoses.select_for_update()}
    if primaries:
        new_primary = codes[diagnoses.index(primaries[0])]
        for code, diagnosis in existing.items():
            if diagnosis.is_primary and code != new_primary:
                diagnosis.is_primary = False
                diagnosis.save(update_fields=["is_primary"])
    has_primary = bool(primaries) or any(d.is_primary for d in existing.values())
    for index, (code, entry) in enumerate(zip(codes, diagnoses, strict=True)):
        primary = entry.is_primary or (not has_primary and index == 0)
        if code in existing:
            if primary and not existing[code].is_primary:
                existing[code].is_primary = True
                existing[code].save(update_fields=["is_primary"])
            continue
        ConsultationDiagnosis.objects.create(
            consultation=consultation,
            code=code,
            description=icd10_description(code)[:300],
            is_primary=primary,
            recorded_by=doctor_user,
        )
    fields = []
    for name, value in (("notes", notes), ("advice", advice), ("follow_up_on", follow_up_on)):
        if value is not None:
            setattr(consultation, name, value.strip() if isinstance(value, str) else value)
            fields.append(name)
    if fields:
        consultation.save(update_fields=[*fields, "updated_at"])
    consultation_audit(doctor_user, consultation, "update", "diagnoses: " + ",".join(codes))
    return consultation


@transaction.atomic
def consultation_assess_follow_up(
    *,
    doctor_user: Any,
    consultation_id: int,
    qualifies: bool,
    evidence_ids: list[int],
    note: str = "",
) -> Consultation:
    """The doctor records whether this is a follow-up (复诊) of a condition diagnosed offline,
    citing the patient's own documents as evidence. Without it, no prescription."""
    consultation = consultation_locked_for_treating_doctor(doctor_user, consultation_id)
    consultation_require_open(consultation, _("assess follow-up eligibility"))
    evidence_ids = sorted(set(evidence_ids))
    documents = list(
        follow_up_evidence_choices(consultation=consultation).filter(pk__in=evidence_ids)
    )
    if len(documents) != len(evidence_ids):
        raise DomainError(
            _("Evidence must be documents in this patient's record."), field="evidence"
        )
    if qualifies and not documents:
        raise DomainError(
            _("A follow-up needs the record of the prior diagnosis as evidence."),
            field="evidence",
        )
    consultation.qualifies_as_follow_up = qualifies
    consultation.follow_up_note = (note or "").strip()
    consultation.save(update_fields=["qualifies_as_follow_up", "follow_up_note", "updated_at"])
    consultation.follow_up_evidence.set(documents)
    consultation_audit(
        doctor_user,
        consultation,
        "update",
        f"follow-up {'yes' if qualifies else 'no'}; evidence {evidence_ids}",
    )
    return consultation


def consultation_may_prescribe(consultation: Consultation) -> bool:
    """Whether a prescription may be written in this consultation now: it is open, and the
    doctor has recorded it as a follow-up with evidence. (The doctor's own right to practise is
    checked by `consultation_check_may_prescribe`.)"""
    return consultation.status == S.OPEN and consultation.qualifies_as_follow_up is True


def consultation_check_may_prescribe(*, consultation: Consultation, doctor_user: Any) -> None:
    """Raises unless `doctor_user` is the treating doctor, may practise now, and the
    consultation may carry a prescription (for the prescriptions module)."""
    if consultation.doctor is None or consultation.doctor.user_id != getattr(
        doctor_user, "pk", None
    ):
        raise NotFound(_("No such consultation."))
    doctor_check_may_practise(doctor=consultation.doctor)
    if consultation.status != S.OPEN:
        raise Conflict(
            _("Prescriptions can only be written during an open consultation."),
            code="consultation_not_open",
        )
    if consultation.qualifies_as_follow_up is not True:
        raise Conflict(
            _(
                "Online prescriptions are for follow-up visits only: record the evidence of the "
                "prior diagnosis first, or give advice and refer the patient."
            ),
            code="not_a_follow_up",
        )
