"""Writes of the health record. Each one: access check → validate → save → access log entry
(last, in the same transaction) → side effects after commit.

Who may write what:
- the patient's account: allergies, conditions (as the patient's own, unconfirmed history),
  self-reported medications, readings, documents, pregnancy/breastfeeding;
- the treating doctor: allergies, conditions (confirmed diagnoses), readings,
  pregnancy/breastfeeding; prescribed and dispensed medications come from prescriptions.
- A status change (inactive, resolved, stopped, entered in error) is made by a doctor, or by the
  account on an entry the patient reported themself: a patient cannot withdraw a diagnosis.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile
from core.exceptions import Conflict, DomainError, NotFound
from hospital.icd10 import icd10_description, icd10_validate, icd10_validate_list
from hospital.models import (
    Allergy,
    ClinicalProfile,
    Condition,
    Consultation,
    MedicalDocument,
    Medication,
    Reading,
    RecordSource,
)
from hospital.models.records import READING_ALERT_KIND
from hospital.record_access import (
    record_access_log,
    record_access_resolve,
    treating_doctor_user_ids,
)
from hospital.rules import figure
from hospital.uploads import JPEG, PDF, PNG, upload_content_type
from notifications.services import notification_send

ACCOUNT = "account"
TREATING_DOCTOR = "treating_doctor"
WRITERS = frozenset({ACCOUNT, TREATING_DOCTOR})

# ---------------------------------------------------------------------------------------------
# Rules applied by the writes


def condition_is_chronic_default(code: str) -> bool:
    """Whether a condition with this ICD-10 code is long-term unless someone says otherwise."""
    return any(code.upper().startswith(prefix) for prefix in figure("CHRONIC_ICD10_PREFIXES"))


def _flag_against(value: Decimal, limits: dict[str, str]) -> str:
    def beyond(name: str, compare: Any) -> bool:
        return name in limits and compare(value, Decimal(limits[name]))

    if beyond("critical_low", Decimal.__lt__) or beyond("critical_high", Decimal.__ge__):
        return Reading.Flag.CRITICAL
    if beyond("low", Decimal.__lt__):
        return Reading.Flag.LOW
    if beyond("high", Decimal.__gt__):
        return Reading.Flag.HIGH
    return Reading.Flag.NORMAL


_FLAG_ORDER: list[str] = [
    Reading.Flag.NORMAL,
    Reading.Flag.LOW,
    Reading.Flag.HIGH,
    Reading.Flag.CRITICAL,
]


def reading_flag(*, kind: str, value: Decimal, value2: Decimal | None = None) -> str:
    """The out-of-range flag of a reading by the thresholds in rules (HOSPITAL_READING_THRESHOLDS).

    Blood pressure takes the worse of systolic and diastolic: 150/85 is high, 185/95 critical.
    Weight and height have no range of their own.
    """
    thresholds = figure("READING_THRESHOLDS")
    if kind == Reading.Kind.BLOOD_PRESSURE:
        flags = [_flag_against(value, thresholds.get("systolic", {}))]
        if value2 is not None:
            flags.append(_flag_against(value2, thresholds.get("diastolic", {})))
        return max(flags, key=lambda flag: _FLAG_ORDER.index(flag))
    return _flag_against(value, thresholds.get(kind, {}))


def _check_plausible(name: str, value: Decimal, field: str) -> None:
    bounds = figure("READING_PLAUSIBLE_RANGES").get(name)
    if bounds and not (Decimal(bounds[0]) <= value <= Decimal(bounds[1])):
        raise DomainError(
            _("%(value)s is not a plausible value; it must be between %(low)s and %(high)s.")
            % {"value": value, "low": bounds[0], "high": bounds[1]},
            field=field,
        )


def _as_decimal(raw: Any, field: str) -> Decimal:
    try:
        value = Decimal(str(raw)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError(_("Enter a number."), field=field) from None
    if not value.is_finite():
        raise DomainError(_("Enter a number."), field=field)
    return value


def document_content_type(upload: Any) -> str:
    """The document's real content type: a PDF, JPEG or PNG within the size limit."""
    return upload_content_type(
        upload,
        allowed=(PDF, JPEG, PNG),
        max_bytes=figure("MEDICAL_DOCUMENT_MAX_BYTES"),
        field="file",
        too_large=_("The file must be at most %(mb)s MB."),
        wrong_type=_("The file must be a PDF, JPEG or PNG."),
    )


def _source(reason: str) -> str:
    return RecordSource.SELF_REPORTED if reason == ACCOUNT else RecordSource.CLINICIAN


def _check_date_not_future(day: dt.date | None, field: str) -> None:
    if day is not None and day > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), field=field)


def _check_may_change(reason: str, entry_source: str) -> None:
    if reason == ACCOUNT and entry_source != RecordSource.SELF_REPORTED:
        raise Conflict(
            _("Only a doctor can change an entry a doctor recorded."), code="recorded_by_doctor"
        )


def _writer(*, actor: Any, patient_id: int, action: str, object_type: str, object_id: Any = None):
    return record_access_resolve(
        user=actor,
        patient_id=patient_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        allowed_reasons=WRITERS,
        log_success=False,
    )


def _log(actor: Any, patient: PatientProfile, action: str, entry: Any, detail: str = "") -> None:
    record_access_log(
        user=actor,
        patient=patient,
        action=action,
        object_type=entry._meta.model_name,
        object_id=entry.pk,
        detail=detail,
    )


# ---------------------------------------------------------------------------------------------
# Allergies


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
    patient, reason = _writer(
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
    _check_date_not_future(noted_on, "noted_on")
    with transaction.atomic():
        allergy = Allergy.objects.create(
            patient=patient,
            substance=substance[:100],
            category=category,
            drug_class=drug_class,
            reaction=(reaction or "").strip()[:200],
            severity=severity,
            noted_on=noted_on,
            source=_source(reason),
            recorded_by=actor,
        )
        _log(actor, patient, "create", allergy, reason)
    return allergy


def allergy_set_status(*, actor: Any, patient_id: int, allergy_id: int, status: str) -> Allergy:
    patient, reason = _writer(
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
        _check_may_change(reason, allergy.source)
        if allergy.status == Allergy.Status.ENTERED_IN_ERROR:
            raise Conflict(
                _("An entry marked as entered in error stays so."), code="entered_in_error"
            )
        allergy.status = status
        allergy.save(update_fields=["status", "updated_at"])
        _log(actor, patient, "update", allergy, f"status={status}")
    return allergy


# ---------------------------------------------------------------------------------------------
# Conditions


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
    patient, reason = _writer(
        actor=actor, patient_id=patient_id, action="create", object_type="condition"
    )
    code = icd10_validate(icd10_code, field="icd10_code")
    if clinical_status not in Condition.ClinicalStatus.values:
        raise DomainError(_("Choose a clinical status."), field="clinical_status")
    _check_date_not_future(onset_date, "onset_date")
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
                _log(actor, patient, "update", existing, "confirmed")
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
            source=_source(reason),
            consultation=consultation,
            recorded_by=actor,
        )
        _log(actor, patient, "create", condition, reason)
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
    patient, reason = _writer(
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
        _check_may_change(reason, condition.source)
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
        _log(actor, patient, "update", condition, ",".join(fields))
    return condition


# ---------------------------------------------------------------------------------------------
# Medications


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
    patient, reason = _writer(
        actor=actor, patient_id=patient_id, action="create", object_type="medication"
    )
    if reason != ACCOUNT:
        raise Conflict(_("Doctors record medicines by prescribing them."), code="prescribe_instead")
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Name the medicine."), field="name")
    _check_date_not_future(start_date, "start_date")
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
        _log(actor, patient, "create", medication, reason)
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
    patient, reason = _writer(
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
        _log(actor, patient, "update", medication, f"status={status}")
    return medication


# ---------------------------------------------------------------------------------------------
# Readings


def reading_record(
    *,
    actor: Any,
    patient_id: int,
    kind: str,
    value: Any,
    value2: Any = None,
    measured_at: dt.datetime | None = None,
    note: str = "",
) -> Reading:
    """A measurement, flagged by the thresholds in rules. An out-of-range one tells the doctors
    who currently treat the patient (after commit, once per reading and doctor)."""
    patient, reason = _writer(
        actor=actor, patient_id=patient_id, action="create", object_type="reading"
    )
    if kind not in Reading.Kind.values:
        raise DomainError(_("Choose what was measured."), field="kind")
    number = _as_decimal(value, "value")
    second: Decimal | None = None
    if kind == Reading.Kind.BLOOD_PRESSURE:
        if value2 in (None, ""):
            raise DomainError(_("Enter the diastolic pressure."), field="value2")
        second = _as_decimal(value2, "value2")
        _check_plausible("systolic", number, "value")
        _check_plausible("diastolic", second, "value2")
        if second >= number:
            raise DomainError(
                _("The diastolic pressure must be lower than the systolic."), field="value2"
            )
    else:
        if value2 not in (None, ""):
            raise DomainError(_("Only blood pressure has a second value."), field="value2")
        _check_plausible(kind, number, "value")
    now = timezone.now()
    measured_at = measured_at or now
    if timezone.is_naive(measured_at):
        raise DomainError(_("Give the time with its time zone."), field="measured_at")
    if measured_at > now + dt.timedelta(minutes=5):
        raise DomainError(_("The time cannot be in the future."), field="measured_at")
    if timezone.localtime(measured_at).date() < patient.birth_date:
        raise DomainError(_("The time cannot be before the patient was born."), field="measured_at")
    with transaction.atomic():
        reading = Reading.objects.create(
            patient=patient,
            kind=kind,
            value=number,
            value2=second,
            unit=Reading.UNITS[kind],
            measured_at=measured_at,
            flag=reading_flag(kind=kind, value=number, value2=second),
            note=(note or "").strip()[:200],
            source=_source(reason),
            recorded_by=actor,
        )
        _log(actor, patient, "create", reading, reason)
        if reading.is_out_of_range:
            reading_id = reading.pk
            transaction.on_commit(lambda: reading_alert_notify(reading_id=reading_id))
    return reading


def reading_mark_entered_in_error(*, actor: Any, patient_id: int, reading_id: int) -> Reading:
    patient, reason = _writer(
        actor=actor,
        patient_id=patient_id,
        action="update",
        object_type="reading",
        object_id=reading_id,
    )
    with transaction.atomic():
        reading = Reading.objects.select_for_update().filter(pk=reading_id, patient=patient).first()
        if reading is None:
            raise NotFound(_("No such reading on this record."))
        if reading.status == Reading.Status.ENTERED_IN_ERROR:
            return reading
        _check_may_change(reason, reading.source)
        reading.status = Reading.Status.ENTERED_IN_ERROR
        reading.save(update_fields=["status"])
        _log(actor, patient, "update", reading, "entered_in_error")
    return reading


def reading_alert_notify(*, reading_id: int) -> int:
    """Tells each doctor who may open the patient's record now that a reading is out of range.
    Safe to run twice: one notification per reading and doctor (dedupe key). Returns how many
    doctors were told."""
    reading = Reading.objects.select_related("patient").filter(pk=reading_id).first()
    if reading is None or not reading.is_out_of_range or reading.status != Reading.Status.FINAL:
        return 0
    doctor_user_ids = treating_doctor_user_ids(patient_id=reading.patient_id)
    doctors = get_user_model().objects.filter(pk__in=doctor_user_ids, is_active=True)
    told = 0
    for doctor_user in doctors:
        if doctor_user.pk == reading.recorded_by_id:
            continue
        notification_send(
            recipient=doctor_user,
            kind=READING_ALERT_KIND,
            subject=_("%(patient)s: %(kind)s out of range")
            % {"patient": reading.patient.real_name, "kind": reading.get_kind_display()},
            body=_("%(kind)s %(value)s %(unit)s (%(flag)s), measured %(at)s.")
            % {
                "kind": reading.get_kind_display(),
                "value": reading.display_value,
                "unit": reading.unit,
                "flag": reading.get_flag_display(),
                "at": timezone.localtime(reading.measured_at).strftime("%Y-%m-%d %H:%M"),
            },
            dedupe_key=f"reading-alert:{reading.pk}:{doctor_user.pk}",
            link="/doctor/chronic-care/",
            # Health data stays in the inbox, behind login, not in an email.
            send_email=False,
        )
        told += 1
    return told


# ---------------------------------------------------------------------------------------------
# Documents


def medical_document_upload(
    *,
    actor: Any,
    patient_id: int,
    kind: str,
    hospital_name: str,
    document_date: dt.date,
    file: Any,
    diagnosis_codes: list[str] | None = None,
    title: str = "",
) -> MedicalDocument:
    """A document from elsewhere, uploaded by the patient's account (doctors read them)."""
    patient, reason = _writer(
        actor=actor, patient_id=patient_id, action="create", object_type="medicaldocument"
    )
    if reason != ACCOUNT:
        raise Conflict(
            _("Documents are uploaded by the patient's account."), code="patient_uploads"
        )
    if kind not in MedicalDocument.Kind.values:
        raise DomainError(_("Choose the kind of document."), field="kind")
    hospital_name = (hospital_name or "").strip()
    if not hospital_name:
        raise DomainError(_("Name the hospital that issued the document."), field="hospital_name")
    if document_date is None:
        raise DomainError(_("Give the document's date."), field="document_date")
    _check_date_not_future(document_date, "document_date")
    codes = icd10_validate_list(list(diagnosis_codes or []), field="diagnosis_codes")
    content_type = document_content_type(file)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    with transaction.atomic():
        document = MedicalDocument(
            patient=patient,
            kind=kind,
            title=(title or "").strip()[:150],
            hospital_name=hospital_name[:150],
            document_date=document_date,
            diagnosis_codes=codes,
            content_type=content_type,
            size=file.size,
            sha256=digest.hexdigest(),
            original_name=(getattr(file, "name", "") or "")[-200:],
            source=_source(reason),
            recorded_by=actor,
        )
        document.file.save("upload", file, save=False)
        document.save()
        _log(actor, patient, "create", document, reason)
    return document


def medical_document_mark_entered_in_error(
    *, actor: Any, patient_id: int, document_id: int
) -> MedicalDocument:
    patient, _reason = _writer(
        actor=actor,
        patient_id=patient_id,
        action="update",
        object_type="medicaldocument",
        object_id=document_id,
    )
    with transaction.atomic():
        document = (
            MedicalDocument.objects.select_for_update()
            .filter(pk=document_id, patient=patient)
            .first()
        )
        if document is None:
            raise NotFound(_("No such document on this record."))
        if document.status == MedicalDocument.Status.ENTERED_IN_ERROR:
            return document
        document.status = MedicalDocument.Status.ENTERED_IN_ERROR
        document.save(update_fields=["status", "updated_at"])
        _log(actor, patient, "update", document, "entered_in_error")
    return document


# ---------------------------------------------------------------------------------------------
# Pregnancy and breastfeeding


def clinical_profile_update(
    *,
    actor: Any,
    patient_id: int,
    pregnancy_status: str | None = None,
    expected_delivery_date: dt.date | None = None,
    lactation_status: str | None = None,
    as_of: dt.date | None = None,
) -> ClinicalProfile:
    """Records pregnancy and/or breastfeeding status, each with the date it was known true."""
    patient, reason = _writer(
        actor=actor, patient_id=patient_id, action="update", object_type="clinicalprofile"
    )
    if pregnancy_status is not None and pregnancy_status not in ClinicalProfile.Pregnancy.values:
        raise DomainError(_("Choose a pregnancy status."), field="pregnancy_status")
    if lactation_status is not None and lactation_status not in ClinicalProfile.Lactation.values:
        raise DomainError(_("Choose a breastfeeding status."), field="lactation_status")
    if patient.sex == PatientProfile.Sex.MALE and (
        pregnancy_status == ClinicalProfile.Pregnancy.PREGNANT
        or lactation_status == ClinicalProfile.Lactation.LACTATING
    ):
        raise DomainError(
            _("This patient's profile is male."),
            field="pregnancy_status" if pregnancy_status else "lactation_status",
        )
    as_of = as_of or timezone.localdate()
    _check_date_not_future(as_of, "as_of")
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
        profile.recorded_by = actor
        profile.save()
        _log(actor, patient, "update", profile, reason)
    return profile
