"""Writes of the health record. Each one: access check → validate → save → access log entry
(last, in the same transaction) → side effects after commit.

Who may write what:
- the patient's account: allergies, conditions (as the patient's own, unconfirmed history),
  self-reported medications, readings, documents, pregnancy/breastfeeding;
- the treating doctor: allergies, conditions (confirmed diagnoses), readings,
  pregnancy/breastfeeding; prescribed and dispensed medications come from prescriptions.
- A status change (inactive, resolved, stopped, entered in error) is made by a doctor, or by the
  account on an entry the patient reported themself: a patient cannot withdraw a diagnosis."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile
from core.exceptions import Conflict, DomainError, NotFound
from hospital.consultations.models import Consultation
from hospital.icd10 import icd10_description, icd10_validate
from hospital.records.access import (
    record_access_log,
    record_access_resolve,
)
from hospital.records.models import (
    Allergy,
    ClinicalProfile,
    Condition,
    Medication,
    RecordSource,
)
from hospital.rules import figure

ACCOUNT = "account"

TREATING_DOCTOR = "treating_doctor"

WRITERS = frozenset({ACCOUNT, TREATING_DOCTOR})


def condition_is_chronic_default(code: str) -> bool:
    """Whether a condition with this ICD-10 code is long-term unless someone says otherwise."""
    return any(code.upper().startswith(prefix) for prefix in figure("CHRONIC_ICD10_PREFIXES"))


def check_plausible(name: str, value: Decimal, field: str) -> None:
    bounds = figure("READING_PLAUSIBLE_RANGES").get(name)
    if bounds and not (Decimal(bounds[0]) <= value <= Decimal(bounds[1])):
        raise DomainError(
            _("%(value)s is not a plausible value; it must be between %(low)s and %(high)s.")
            % {"value": value, "low": bounds[0], "high": bounds[1]},
            field=field,
        )


def as_decimal(raw: Any, field: str) -> Decimal:
    try:
        value = Decimal(str(raw)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError(_("Enter a number."), field=field) from None
    if not value.is_finite():
        raise DomainError(_("Enter a number."), field=field)
    return value


def entry_source(reason: str) -> str:
    return RecordSource.SELF_REPORTED if reason == ACCOUNT else RecordSource.CLINICIAN


def check_date_not_future(day: dt.date | None, field: str) -> None:
    if day is not None and day > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), field=field)


def check_may_change(reason: str, recorded_source: str) -> None:
    if reason == ACCOUNT and recorded_source != RecordSource.SELF_REPORTED:
        raise Conflict(
            _("Only a doctor can change an entry a doctor recorded."), code="recorded_by_doctor"
        )


def record_writer(
    *, actor: Any, patient_id: int, action: str, object_type: str, object_id: Any = None
):
    return record_access_resolve(
        user=actor,
        patient_id=patient_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        allowed_reasons=WRITERS,
        log_success=False,
    )


def record_entry_log(
    actor: Any, patient: PatientProfile, action: str, entry: Any, detail: str = ""
) -> None:
    record_access_log(
        user=actor,
        patient=patient,
        action=action,
        object_type=entry._meta.model_name,
        object_id=entry.pk,
        detail=detail,
    )


def allergy_record(
    *,
    actor: Any,
    patient_id: int,
    substance: str,
    severity: str,
    category: str = Allergy.Category.DRUG,
    drug_class: str = "",
    reaction: str = "",
    noted_on: dt.date | None = None,
) -> Allergy:
    patient, reason = record_writer(
        actor=actor, patient_id=patient_id, action="create", object_type="allergy"
    )
    substance = (substance or "").strip()
    if not substance:
        raise DomainError(_("Name the substance, for example penicillin."), field="substance")
    if severity not in Allergy.Severity.values:
        raise DomainError(_("Choose a severity."), field="severity")
    if category not in Allergy.Category.values:
        raise DomainError(_("Choose a category."), field="category")
    if drug_class and drug_class not in Allergy.DrugClass.values:
        raise DomainError(_("Choose a drug class from the list."), field="drug_class")
    if drug_class and category != Allergy.Category.DRUG:
        raise DomainError(_("A drug class applies to medicine allergies only."), field="drug_class")
    check_date_not_future(noted_on, "noted_on")
    with transaction.atomic():
        allergy = Allergy.objects.create(
            patient=patient,
            substance=substance[:100],
            category=category,
            drug_class=drug_class,
            reaction=(reaction or "").strip()[:200],
            severity=severity,
            noted_on=noted_on,
            source=entry_source(reason),
            recorded_by=actor,
        )
        record_entry_log(actor, patient, "create", allergy, reason)
    return allergy


def allergy_set_status(*, actor: Any, patient_id: int, allergy_id: int, status: str) -> Allergy:
    patient, reason = record_writer(
        actor=actor,
        patient_id=patient_id,
        action="update",
        object_type="allergy",
        object_id=allergy_id,
    )
    if status not in Allergy.Status.values:
        raise DomainError(_("Choose a status."), field="status")
    with transaction.atomic():
        allergy = Allergy.objects.select_for_update().filter(pk=allergy_id, patient=patient).first()
        if allergy is None:
            raise NotFound(_("No such allergy on this record."))
        if allergy.status == status:
            return allergy
        check_may_change(reason, allergy.source)
        if allergy.status == Allergy.Status.ENTERED_IN_ERROR:
            raise Conflict(
                _("An entry marked as entered in error stays so."), code="entered_in_error"
            )
        allergy.status = status
        allergy.save(update_fields=["status", "updated_at"])
        record_entry_log(actor, patient, "update", allergy, f"status={status}")
    return allergy


def condition_record(
    *,
    actor: Any,
    patient_id: int,
    icd10_code: str,
    clinical_status: str = Condition.ClinicalStatus.ACTIVE,
    onset_date: dt.date | None = None,
    is_chronic: bool | None = None,
    description: str = "",
    note: str = "",
    consultation: Consultation | None = None,
) -> Condition:
    """A condition on the record. From the account it is the patient's own history
    (unconfirmed); from the treating doctor a confirmed diagnosis. `is_chronic` defaults from
    the code (HOSPITAL_CHRONIC_ICD10_PREFIXES). The consultations module passes `consultation`
    when a diagnosis is made in one; an identical active one is confirmed rather than repeated."""
    patient, reason = record_writer(
        actor=actor, patient_id=patient_id, action="create", object_type="condition"
    )
    code = icd10_validate(icd10_code, field="icd10_code")
    if clinical_status not in Condition.ClinicalStatus.values:
        raise DomainError(_("Choose a clinical status."), field="clinical_status")
    check_date_not_future(onset_date, "onset_date")
    if consultation is not None and consultation.patient_id != patient.pk:
        raise DomainError(_("That consultation is not this patient's."), field="consultation")
    verification = (
        Condition.Verification.UNCONFIRMED
        if reason == ACCOUNT
        else Condition.Verification.CONFIRMED
    )
    with transaction.atomic():
        existing = (
            Condition.objects.select_for_update()
            .filter(
                patient=patient,
                icd10_code=code,
                clinical_status=Condition.ClinicalStatus.ACTIVE,
            )
            .exclude(verification_status=Condition.Verification.ENTERED_IN_ERROR)
            .first()
            if clinical_status == Condition.ClinicalStatus.ACTIVE
            else None
        )
        if existing is not None:
            if (
                verification == Condition.Verification.CONFIRMED
                and existing.verification_status != verification
            ):
                existing.verification_status = verification
                existing.consultation = consultation or existing.consultation
                existing.save(update_fields=["verification_status", "consultation", "updated_at"])
                record_entry_log(actor, patient, "update", existing, "confirmed")
            return existing
        condition = Condition.objects.create(
            patient=patient,
            icd10_code=code,
            description=(description or "").strip()[:300] or icd10_description(code),
            clinical_status=clinical_status,
            verification_status=verification,
            is_chronic=condition_is_chronic_default(code) if is_chronic is None else is_chronic,
            onset_date=onset_date,
            abatement_date=(
                timezone.localdate()
                if clinical_status == Condition.ClinicalStatus.RESOLVED
                else None
            ),
            note=(note or "").strip()[:2000],
            source=entry_source(reason),
            consultation=consultation,
            recorded_by=actor,
        )
        record_entry_log(actor, patient, "create", condition, reason)
    return condition


def condition_update(
    *,
    actor: Any,
    patient_id: int,
    condition_id: int,
    clinical_status: str | None = None,
    entered_in_error: bool = False,
    is_chronic: bool | None = None,
) -> Condition:
    patient, reason = record_writer(
        actor=actor,
        patient_id=patient_id,
        action="update",
        object_type="condition",
        object_id=condition_id,
    )
    if clinical_status is not None and clinical_status not in Condition.ClinicalStatus.values:
        raise DomainError(_("Choose a clinical status."), field="clinical_status")
    with transaction.atomic():
        condition = (
            Condition.objects.select_for_update().filter(pk=condition_id, patient=patient).first()
        )
        if condition is None:
            raise NotFound(_("No such condition on this record."))
        if condition.verification_status == Condition.Verification.ENTERED_IN_ERROR:
            raise Conflict(
                _("An entry marked as entered in error stays so."), code="entered_in_error"
            )
        check_may_change(reason, condition.source)
        fields: list[str] = []
        if entered_in_error:
            condition.verification_status = Condition.Verification.ENTERED_IN_ERROR
            fields.append("verification_status")
        if clinical_status is not None and clinical_status != condition.clinical_status:
            condition.clinical_status = clinical_status
            condition.abatement_date = (
                timezone.localdate()
                if clinical_status == Condition.ClinicalStatus.RESOLVED
                else None
            )
            fields += ["clinical_status", "abatement_date"]
        if is_chronic is not None and is_chronic != condition.is_chronic:
            condition.is_chronic = is_chronic
            fields.append("is_chronic")
        if not fields:
            return condition
        condition.save(update_fields=[*fields, "updated_at"])
        record_entry_log(actor, patient, "update", condition, ",".join(fields))
    return condition


def medication_record(
    *,
    actor: Any,
    patient_id: int,
    name: str,
    dose_text: str = "",
    start_date: dt.date | None = None,
    stop_date: dt.date | None = None,
    drug_code: str = "",
    atc_code: str = "",
    ingredients: list[str] | None = None,
) -> Medication:
    """A medicine the patient reports taking (the account only; prescribed and dispensed
    entries are written by medication_record_supplied)."""
    patient, reason = record_writer(
        actor=actor, patient_id=patient_id, action="create", object_type="medication"
    )
    if reason != ACCOUNT:
        raise Conflict(_("Doctors record medicines by prescribing them."), code="prescribe_instead")
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Name the medicine."), field="name")
    check_date_not_future(start_date, "start_date")
    if start_date and stop_date and stop_date < start_date:
        raise DomainError(_("The medicine cannot stop before it started."), field="stop_date")
    today = timezone.localdate()
    with transaction.atomic():
        medication = Medication.objects.create(
            patient=patient,
            name=name[:150],
            dose_text=(dose_text or "").strip()[:200],
            start_date=start_date,
            stop_date=stop_date,
            status=(
                Medication.Status.STOPPED
                if stop_date and stop_date < today
                else Medication.Status.ACTIVE
            ),
            source=Medication.Source.SELF_REPORTED,
            drug_code=(drug_code or "").strip()[:40],
            atc_code=(atc_code or "").strip().upper()[:10],
            ingredients=[str(i).strip()[:100] for i in (ingredients or []) if str(i).strip()][:20],
            recorded_by=actor,
        )
        record_entry_log(actor, patient, "create", medication, reason)
    return medication


def medication_record_supplied(
    *,
    patient: PatientProfile,
    source: str,
    name: str,
    dose_text: str,
    start_date: dt.date,
    stop_date: dt.date | None,
    source_reference: str,
    drug_code: str = "",
    atc_code: str = "",
    ingredients: list[str] | None = None,
    actor: Any = None,
) -> Medication:
    """A prescribed or dispensed medicine, written by the prescriptions and dispensing services
    (they have checked access themselves). Idempotent per (source, source_reference)."""
    if source not in (Medication.Source.PRESCRIBED, Medication.Source.DISPENSED):
        raise ValueError(f"not a supplied medication source: {source!r}")
    with transaction.atomic():
        existing = Medication.objects.filter(
            patient=patient, source=source, source_reference=source_reference
        ).first()
        if existing is not None:
            return existing
        medication = Medication.objects.create(
            patient=patient,
            name=name[:150],
            dose_text=dose_text[:200],
            start_date=start_date,
            stop_date=stop_date,
            source=source,
            source_reference=source_reference[:64],
            drug_code=drug_code[:40],
            atc_code=atc_code.upper()[:10],
            ingredients=list(ingredients or []),
            recorded_by=actor,
        )
        record_access_log(
            user=actor,
            patient=patient,
            action="create",
            object_type="medication",
            object_id=medication.pk,
            detail=source,
        )
    return medication


def medication_set_status(
    *, actor: Any, patient_id: int, medication_id: int, status: str
) -> Medication:
    patient, reason = record_writer(
        actor=actor,
        patient_id=patient_id,
        action="update",
        object_type="medication",
        object_id=medication_id,
    )
    if status not in Medication.Status.values or status == Medication.Status.ACTIVE:
        raise DomainError(
            _("A medicine can be stopped or marked entered in error."), field="status"
        )
    with transaction.atomic():
        medication = (
            Medication.objects.select_for_update().filter(pk=medication_id, patient=patient).first()
        )
        if medication is None:
            raise NotFound(_("No such medicine on this record."))
        if medication.status == status:
            return medication
        if medication.status == Medication.Status.ENTERED_IN_ERROR:
            raise Conflict(
                _("An entry marked as entered in error stays so."), code="entered_in_error"
            )
        # A patient may say they stopped a prescribed medicine, not that it was never prescribed.
        if (
            reason == ACCOUNT
            and medication.source != Medication.Source.SELF_REPORTED
            and status == Medication.Status.ENTERED_IN_ERROR
        ):
            raise Conflict(
                _("Only a doctor can change an entry a doctor recorded."),
                code="recorded_by_doctor",
            )
        medication.status = status
        fields = ["status"]
        if status == Medication.Status.STOPPED and medication.stop_date is None:
            medication.stop_date = max(timezone.localdate(), medication.start_date or dt.date.min)
            fields.append("stop_date")
        medication.save(update_fields=[*fields, "updated_at"])
        record_entry_log(actor, patient, "update", medication, f"status={status}")
    return medication


def clinical_profile_update(
    *,
    actor: Any,
    patient_id: int,
    pregnancy_status: str | None = None,
    expected_delivery_date: dt.date | None = None,
    lactation_status: str | None = None,
    hepatic_impairment: str | None = None,
    as_of: dt.date | None = None,
) -> ClinicalProfile:
    """Records pregnancy, breastfeeding and/or hepatic impairment, each with the date it was
    known true."""
    patient, reason = record_writer(
        actor=actor, patient_id=patient_id, action="update", object_type="clinicalprofile"
    )
    if pregnancy_status is not None and pregnancy_status not in ClinicalProfile.Pregnancy.values:
        raise DomainError(_("Choose a pregnancy status."), field="pregnancy_status")
    if lactation_status is not None and lactation_status not in ClinicalProfile.Lactation.values:
        raise DomainError(_("Choose a breastfeeding status."), field="lactation_status")
    if (
        hepatic_impairment is not None
        and hepatic_impairment not in ClinicalProfile.HepaticImpairment.values
    ):
        raise DomainError(_("Choose a degree of hepatic impairment."), field="hepatic_impairment")
    if patient.sex == PatientProfile.Sex.MALE and (
        pregnancy_status == ClinicalProfile.Pregnancy.PREGNANT
        or lactation_status == ClinicalProfile.Lactation.LACTATING
    ):
        raise DomainError(
            _("This patient's profile is male."),
            field="pregnancy_status" if pregnancy_status else "lactation_status",
        )
    as_of = as_of or timezone.localdate()
    check_date_not_future(as_of, "as_of")
    with transaction.atomic():
        profile, _created = ClinicalProfile.objects.select_for_update().get_or_create(
            patient=patient
        )
        if pregnancy_status is not None:
            profile.pregnancy_status = pregnancy_status
            profile.pregnancy_as_of = as_of
            profile.expected_delivery_date = (
                expected_delivery_date
                if pregnancy_status == ClinicalProfile.Pregnancy.PREGNANT
                else None
            )
        if lactation_status is not None:
            profile.lactation_status = lactation_status
            profile.lactation_as_of = as_of
        if hepatic_impairment is not None:
            profile.hepatic_impairment = hepatic_impairment
            profile.hepatic_impairment_as_of = as_of
        profile.recorded_by = actor
        profile.save()
        record_entry_log(actor, patient, "update", profile, reason)
    return profile
