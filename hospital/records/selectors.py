"""Reads of the health record. They take a patient the caller has already cleared through
hospital.records.access (and logged); they check nothing themselves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import PatientProfile
from hospital.consultations.models import Consultation, ConsultationDiagnosis, Referral
from hospital.housecalls.models import HouseCall
from hospital.housecalls.selectors import house_call_history
from hospital.records.access import consultations_granting_access
from hospital.records.models import (
    Allergy,
    ClinicalProfile,
    Condition,
    Device,
    DeviceTestSchedule,
    MedicalDocument,
    Medication,
    Reading,
)


def allergy_list(*, patient: PatientProfile, include_entered_in_error: bool = False):
    allergies = Allergy.objects.filter(patient=patient).select_related("recorded_by")
    if not include_entered_in_error:
        allergies = allergies.exclude(status=Allergy.Status.ENTERED_IN_ERROR)
    return allergies.order_by("status", "-created_at", "-id")


def condition_list(
    *, patient: PatientProfile, include_entered_in_error: bool = False
) -> QuerySet[Condition]:
    conditions = Condition.objects.filter(patient=patient).select_related("recorded_by")
    if not include_entered_in_error:
        conditions = conditions.exclude(verification_status=Condition.Verification.ENTERED_IN_ERROR)
    return conditions.order_by("clinical_status", "-is_chronic", "-created_at", "-id")


def _current_medication_q(today: dt.date) -> Q:
    return Q(status=Medication.Status.ACTIVE) & (
        Q(stop_date__isnull=True) | Q(stop_date__gte=today)
    )


def medication_list(*, patient: PatientProfile, current_only: bool = False) -> QuerySet[Medication]:
    medications = Medication.objects.filter(patient=patient).select_related("recorded_by")
    if current_only:
        medications = medications.filter(_current_medication_q(timezone.localdate()))
    else:
        medications = medications.exclude(status=Medication.Status.ENTERED_IN_ERROR)
    return medications.order_by("status", "-start_date", "-id")


def reading_list(
    *,
    patient: PatientProfile,
    kind: str = "",
    since: dt.datetime | None = None,
    out_of_range_only: bool = False,
) -> QuerySet[Reading]:
    readings = Reading.objects.filter(patient=patient, status=Reading.Status.FINAL)
    if kind:
        readings = readings.filter(kind=kind)
    if since is not None:
        readings = readings.filter(measured_at__gte=since)
    if out_of_range_only:
        readings = readings.exclude(flag=Reading.Flag.NORMAL)
    return readings.select_related("recorded_by").order_by("-measured_at", "-id")


def _latest_per_kind_q(patient_ref: Any) -> Q:
    latest = (
        Reading.objects.filter(
            patient_id=patient_ref, kind=OuterRef("kind"), status=Reading.Status.FINAL
        )
        .order_by("-measured_at", "-id")
        .values("pk")[:1]
    )
    return Q(pk=Subquery(latest))


def latest_readings(*, patient: PatientProfile) -> list[Reading]:
    """The newest reading of each kind, in one query."""
    readings = Reading.objects.filter(
        _latest_per_kind_q(OuterRef("patient_id")),
        patient=patient,
        status=Reading.Status.FINAL,
    )
    order = list(Reading.Kind.values)
    return sorted(readings, key=lambda r: order.index(r.kind))


def medical_document_list(*, patient: PatientProfile) -> QuerySet[MedicalDocument]:
    return (
        MedicalDocument.objects.filter(patient=patient, status=MedicalDocument.Status.CURRENT)
        .select_related("recorded_by")
        .order_by("-document_date", "-id")
    )


def medical_document_get(*, patient: PatientProfile, document_id: int) -> MedicalDocument | None:
    return MedicalDocument.objects.filter(
        pk=document_id, patient=patient, status=MedicalDocument.Status.CURRENT
    ).first()


def clinical_profile_get(*, patient: PatientProfile) -> ClinicalProfile:
    """The patient's clinical profile; an unsaved one with everything unknown if none yet."""
    profile = ClinicalProfile.objects.filter(patient=patient).first()
    return profile or ClinicalProfile(patient=patient)


def consultation_history(*, patient: PatientProfile, limit: int = 20) -> list[Consultation]:
    """Past and current consultations with their doctor, diagnoses and referrals to partner
    hospitals with the outcome reported back (three queries)."""
    return list(
        Consultation.objects.filter(patient=patient)
        .exclude(status=Consultation.Status.CANCELLED)
        .select_related("doctor", "department")
        .prefetch_related(
            Prefetch("diagnoses", queryset=ConsultationDiagnosis.objects.order_by("-is_primary")),
            Prefetch(
                "referrals",
                queryset=Referral.objects.exclude(status=Referral.Status.CANCELLED)
                .select_related("partner_department__hospital")
                .order_by("created_at", "id"),
            ),
        )
        .order_by("-created_at", "-id")[:limit]
    )


@dataclass
class RecordSummary:
    """The whole record of one patient, read in a fixed number of queries.

    Attribute or item access (summary.allergies / summary["allergies"]), for code and templates.
    """

    patient: PatientProfile
    clinical_profile: ClinicalProfile
    allergies: list[Allergy]
    conditions: list[Condition]
    medications: list[Medication]
    latest_readings: list[Reading]
    recent_readings: list[Reading]
    documents: list[MedicalDocument]
    consultations: list[Consultation]
    house_calls: list[HouseCall] = field(default_factory=list)
    out_of_range_recent: list[Reading] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    @property
    def active_allergies(self) -> list[Allergy]:
        return [a for a in self.allergies if a.status == Allergy.Status.ACTIVE]

    @property
    def active_conditions(self) -> list[Condition]:
        return [c for c in self.conditions if c.clinical_status == Condition.ClinicalStatus.ACTIVE]

    @property
    def chronic_conditions(self) -> list[Condition]:
        return [c for c in self.active_conditions if c.is_chronic]

    @property
    def current_medications(self) -> list[Medication]:
        today = timezone.localdate()
        return [
            m
            for m in self.medications
            if m.status == Medication.Status.ACTIVE
            and (m.stop_date is None or m.stop_date >= today)
        ]

    @property
    def weight(self) -> Reading | None:
        return next((r for r in self.latest_readings if r.kind == Reading.Kind.WEIGHT), None)


RECENT_READINGS_DAYS = 42
RECENT_READINGS_MAX = 200


def patient_record_summary(*, patient: PatientProfile) -> RecordSummary:
    """Everything on the record for the record endpoint, the record page and the doctor's side
    panel: 10 queries whatever the record holds."""
    since = timezone.now() - dt.timedelta(days=RECENT_READINGS_DAYS)
    recent = list(reading_list(patient=patient, since=since)[:RECENT_READINGS_MAX])
    return RecordSummary(
        patient=patient,
        clinical_profile=clinical_profile_get(patient=patient),
        allergies=list(allergy_list(patient=patient)),
        conditions=list(condition_list(patient=patient)),
        medications=list(medication_list(patient=patient)),
        latest_readings=latest_readings(patient=patient),
        recent_readings=recent,
        documents=list(medical_document_list(patient=patient)),
        consultations=consultation_history(patient=patient),
        house_calls=house_call_history(patient=patient),
        out_of_range_recent=[r for r in recent if r.is_out_of_range],
    )


# The laboratory results decision support reads (kidney function, potassium).
PRESCRIBING_LAB_KINDS = (Reading.Kind.CREATININE, Reading.Kind.EGFR, Reading.Kind.POTASSIUM)


def prescribing_facts(*, patient: PatientProfile) -> dict[str, Any]:
    """What decision support needs about a patient: active allergies (substance, class),
    active condition codes, current medicines (drug code, ATC, ingredients), latest weight,
    latest creatinine, eGFR and potassium (value, day), pregnancy, breastfeeding and hepatic
    impairment with their dates, age and sex."""
    today = timezone.localdate()
    profile = clinical_profile_get(patient=patient)
    weight = (
        Reading.objects.filter(
            patient=patient, kind=Reading.Kind.WEIGHT, status=Reading.Status.FINAL
        )
        .order_by("-measured_at", "-id")
        .first()
    )
    # Laboratory results are few per patient: one query, the latest of each kind kept.
    labs: dict[str, Reading] = {}
    for reading in Reading.objects.filter(
        patient=patient, kind__in=PRESCRIBING_LAB_KINDS, status=Reading.Status.FINAL
    ).order_by("-measured_at", "-id"):
        labs.setdefault(reading.kind, reading)
    return {
        "age": patient.age_on(today),
        "sex": patient.sex,
        "allergies": [
            {"substance": a.substance, "drug_class": a.drug_class, "severity": a.severity}
            for a in Allergy.objects.filter(patient=patient, status=Allergy.Status.ACTIVE)
        ],
        "condition_codes": list(
            Condition.objects.filter(patient=patient, clinical_status="active")
            .exclude(verification_status=Condition.Verification.ENTERED_IN_ERROR)
            .values_list("icd10_code", flat=True)
        ),
        "medications": [
            {
                "name": m.name,
                "drug_code": m.drug_code,
                "atc_code": m.atc_code,
                "ingredients": list(m.ingredients or []),
                "source": m.source,
            }
            for m in Medication.objects.filter(_current_medication_q(today), patient=patient)
        ],
        "weight_kg": weight.value if weight else None,
        "weight_measured_at": weight.measured_at if weight else None,
        "pregnancy_status": profile.pregnancy_status,
        "pregnancy_as_of": profile.pregnancy_as_of,
        "lactation_status": profile.lactation_status,
        "lactation_as_of": profile.lactation_as_of,
        "hepatic_impairment": profile.hepatic_impairment,
        "hepatic_impairment_as_of": profile.hepatic_impairment_as_of,
        "labs": {
            kind: (reading.value, timezone.localtime(reading.measured_at).date())
            for kind, reading in labs.items()
        },
    }


@dataclass
class ChronicPatientRow:
    patient: PatientProfile
    chronic_conditions: list[Condition]
    latest_readings: list[Reading]
    out_of_range_count: int
    last_consultation_at: dt.datetime | None


CHRONIC_PANEL_ALERT_DAYS = 30


def chronic_panel_for_doctor(*, doctor_user: Any) -> list[ChronicPatientRow]:
    """The doctor's patients they may see now (a consultation under way or within the
    follow-up window) who have an active chronic condition, most flagged readings first.
    Four queries whatever the number of patients."""
    patient_ids = set(
        consultations_granting_access(doctor_user=doctor_user).values_list("patient_id", flat=True)
    )
    if not patient_ids:
        return []
    chronic_patient_ids = (
        Condition.objects.filter(
            patient_id__in=patient_ids,
            is_chronic=True,
            clinical_status=Condition.ClinicalStatus.ACTIVE,
        )
        .exclude(verification_status=Condition.Verification.ENTERED_IN_ERROR)
        .values("patient_id")
    )
    alert_since = timezone.now() - dt.timedelta(days=CHRONIC_PANEL_ALERT_DAYS)
    patients = (
        PatientProfile.objects.filter(pk__in=chronic_patient_ids)
        .prefetch_related(
            Prefetch(
                "conditions",
                queryset=Condition.objects.filter(
                    is_chronic=True, clinical_status=Condition.ClinicalStatus.ACTIVE
                )
                .exclude(verification_status=Condition.Verification.ENTERED_IN_ERROR)
                .order_by("icd10_code"),
                to_attr="chronic_conditions",
            ),
            Prefetch(
                "readings",
                queryset=Reading.objects.filter(
                    _latest_per_kind_q(OuterRef("patient_id")), status=Reading.Status.FINAL
                ),
                to_attr="latest",
            ),
        )
        .annotate(
            out_of_range_count=Count(
                "readings",
                filter=Q(
                    readings__measured_at__gte=alert_since,
                    readings__status=Reading.Status.FINAL,
                )
                & ~Q(readings__flag=Reading.Flag.NORMAL),
                distinct=True,
            )
        )
    )
    last_seen = dict(
        Consultation.objects.filter(patient_id__in=patient_ids, doctor__user_id=doctor_user.pk)
        .values("patient_id")
        .annotate(last=Max("created_at"))
        .values_list("patient_id", "last")
    )
    order = list(Reading.Kind.values)
    rows = [
        ChronicPatientRow(
            patient=p,
            chronic_conditions=p.chronic_conditions,
            latest_readings=sorted(p.latest, key=lambda r: order.index(r.kind)),
            out_of_range_count=p.out_of_range_count,
            last_consultation_at=last_seen.get(p.pk),
        )
        for p in patients
    ]
    rows.sort(key=lambda row: (-row.out_of_range_count, row.patient.real_name))
    return rows


@dataclass(frozen=True)
class ReadingMonth:
    """A patient's self-monitoring in a month: days with at least one final reading, and the
    share of those readings in range (basis points, rounded down)."""

    patient_id: int
    days_recorded: int
    readings: int
    in_range: int

    @property
    def in_range_share_bp(self) -> int:
        return self.in_range * 10_000 // self.readings if self.readings else 0


def reading_months(*, month: dt.date) -> list[ReadingMonth]:
    """Every patient's readings of the month (days counted in the project's time zone); readings
    entered in error do not count."""
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min), tz)
    end = timezone.make_aware(dt.datetime.combine(following, dt.time.min), tz)
    rows = (
        Reading.objects.filter(
            status=Reading.Status.FINAL, measured_at__gte=start, measured_at__lt=end
        )
        .values("patient_id")
        .annotate(
            days=Count(TruncDate("measured_at", tzinfo=tz), distinct=True),
            readings=Count("id"),
            in_range=Count("id", filter=Q(flag=Reading.Flag.NORMAL)),
        )
        .order_by("patient_id")
    )
    return [
        ReadingMonth(
            patient_id=row["patient_id"],
            days_recorded=row["days"],
            readings=row["readings"],
            in_range=row["in_range"],
        )
        for row in rows
    ]


def device_list(*, account: Any) -> QuerySet[Device]:
    """The devices paired to the account's own patient profiles, newest first."""
    return Device.objects.filter(patient__account=account).order_by("-paired_at", "-id")


def device_test_schedule_list(*, patient: PatientProfile) -> QuerySet[DeviceTestSchedule]:
    """The running test schedules the doctors set for the patient."""
    return (
        DeviceTestSchedule.objects.filter(patient=patient, stopped_at__isnull=True)
        .select_related("set_by")
        .order_by("kind", "pk")
    )
