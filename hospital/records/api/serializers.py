"""The health record API: /api/v1/patients/{id}/record/, its parts, the FHIR export, the access
log the patient reads, and the doctor's chronic-care panel.

Every view goes through hospital.records.access (reads) or a record service (writes), which
answer 404 to anyone who may not see the patient and put every attempt on the access log."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from core.actors import system_actor_label
from core.api.serializers import ModelOutputSerializer
from hospital.booking.api import BoundedDateTimeField
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


class AllergyOutput(ModelOutputSerializer):
    severity_display = serializers.CharField(source="get_severity_display")
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Allergy
        fields = [
            "id",
            "substance",
            "category",
            "drug_class",
            "reaction",
            "severity",
            "severity_display",
            "status",
            "status_display",
            "noted_on",
            "source",
            "created_at",
        ]


class ConditionOutput(ModelOutputSerializer):
    clinical_status_display = serializers.CharField(source="get_clinical_status_display")
    verification_status_display = serializers.CharField(source="get_verification_status_display")

    class Meta:
        model = Condition
        fields = [
            "id",
            "icd10_code",
            "description",
            "clinical_status",
            "clinical_status_display",
            "verification_status",
            "verification_status_display",
            "is_chronic",
            "onset_date",
            "abatement_date",
            "note",
            "source",
            "consultation",
            "created_at",
        ]


class MedicationOutput(ModelOutputSerializer):
    ingredients = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Medication
        fields = [
            "id",
            "name",
            "dose_text",
            "start_date",
            "stop_date",
            "status",
            "source",
            "drug_code",
            "atc_code",
            "ingredients",
            "created_at",
        ]


class ReadingOutput(ModelOutputSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    flag_display = serializers.CharField(source="get_flag_display")
    display_value = serializers.CharField()

    class Meta:
        model = Reading
        fields = [
            "id",
            "kind",
            "kind_display",
            "value",
            "value2",
            "display_value",
            "unit",
            "measured_at",
            "flag",
            "flag_display",
            "note",
            "source",
        ]


class MedicalDocumentOutput(ModelOutputSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    diagnosis_codes = serializers.ListField(child=serializers.CharField())
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = MedicalDocument
        fields = [
            "id",
            "kind",
            "kind_display",
            "title",
            "hospital_name",
            "document_date",
            "diagnosis_codes",
            "content_type",
            "size",
            "created_at",
            "download_url",
        ]

    def get_download_url(self, document: MedicalDocument) -> str:
        return f"/api/v1/patients/{document.patient_id}/documents/{document.pk}/download/"


class ClinicalProfileOutput(ModelOutputSerializer):
    class Meta:
        model = ClinicalProfile
        fields = [
            "pregnancy_status",
            "pregnancy_as_of",
            "expected_delivery_date",
            "lactation_status",
            "lactation_as_of",
            "hepatic_impairment",
            "hepatic_impairment_as_of",
        ]


class PatientBriefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    real_name = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.DateField()
    age = serializers.IntegerField()


class ReferralBriefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    letter_number = serializers.CharField()
    referred_to = serializers.CharField(source="partner_department.__str__")
    status = serializers.CharField()
    outcome = serializers.CharField()
    outcome_notes = serializers.CharField()
    outcome_recorded_at = serializers.DateTimeField(allow_null=True)


class ConsultationBriefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    kind = serializers.CharField()
    doctor_name = serializers.CharField(source="doctor.name", default="")
    department = serializers.CharField(source="department.name")
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    diagnoses = serializers.SerializerMethodField()
    referrals = ReferralBriefOutput(many=True)

    def get_diagnoses(self, consultation: Any) -> list[str]:
        return [d.code for d in consultation.diagnoses.all()]


class HouseCallBriefOutput(serializers.Serializer):
    """A completed house call as the record shows it: who came, and the visit's notes."""

    id = serializers.IntegerField()
    doctor_name = serializers.CharField(source="doctor.name", default="")
    department = serializers.CharField(source="department.name")
    completed_at = serializers.DateTimeField(allow_null=True)
    notes = serializers.CharField()
    advice = serializers.CharField()
    diagnoses = serializers.SerializerMethodField()

    def get_diagnoses(self, house_call: Any) -> list[str]:
        return [diagnosis["code"] for diagnosis in house_call.diagnoses]


class RecordOutput(serializers.Serializer):
    patient = PatientBriefOutput()
    clinical_profile = ClinicalProfileOutput()
    allergies = AllergyOutput(many=True)
    conditions = ConditionOutput(many=True)
    medications = MedicationOutput(many=True)
    latest_readings = ReadingOutput(many=True)
    recent_readings = ReadingOutput(many=True)
    documents = MedicalDocumentOutput(many=True)
    consultations = ConsultationBriefOutput(many=True)
    house_calls = HouseCallBriefOutput(many=True)


class AllergyInput(serializers.Serializer):
    substance = serializers.CharField(max_length=100)
    category = serializers.ChoiceField(choices=Allergy.Category.choices, default="drug")
    drug_class = serializers.ChoiceField(
        choices=Allergy.DrugClass.choices, required=False, allow_blank=True, default=""
    )
    reaction = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(choices=Allergy.Severity.choices)
    noted_on = serializers.DateField(required=False, allow_null=True, default=None)


class AllergyStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Allergy.Status.choices)


class ConditionInput(serializers.Serializer):
    icd10_code = serializers.CharField(max_length=12)
    clinical_status = serializers.ChoiceField(
        choices=Condition.ClinicalStatus.choices, default="active"
    )
    onset_date = serializers.DateField(required=False, allow_null=True, default=None)
    is_chronic = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Left out: derived from the code (diabetes, hypertension, COPD...).",
    )
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ConditionUpdateInput(serializers.Serializer):
    clinical_status = serializers.ChoiceField(
        choices=Condition.ClinicalStatus.choices, required=False
    )
    entered_in_error = serializers.BooleanField(required=False, default=False)
    is_chronic = serializers.BooleanField(required=False, allow_null=True, default=None)


class MedicationInput(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    dose_text = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    start_date = serializers.DateField(required=False, allow_null=True, default=None)
    stop_date = serializers.DateField(required=False, allow_null=True, default=None)
    drug_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    atc_code = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    ingredients = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=20, default=list
    )


class MedicationStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[
            (Medication.Status.STOPPED.value, Medication.Status.STOPPED.label),
            (Medication.Status.ENTERED_IN_ERROR.value, Medication.Status.ENTERED_IN_ERROR.label),
        ]
    )


class ReadingInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Reading.Kind.choices)
    value = serializers.DecimalField(max_digits=6, decimal_places=1)
    value2 = serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="Diastolic pressure, for blood pressure only.",
    )
    measured_at = BoundedDateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReadingFilters(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Reading.Kind.choices, required=False, allow_blank=True)
    since = BoundedDateTimeField(required=False)
    out_of_range = serializers.BooleanField(required=False, default=False)


class MedicalDocumentInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MedicalDocument.Kind.choices)
    title = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    hospital_name = serializers.CharField(max_length=150)
    document_date = serializers.DateField()
    diagnosis_codes = serializers.ListField(
        child=serializers.CharField(max_length=12),
        required=False,
        max_length=20,
        default=list,
        help_text="ICD-10 codes; repeat the field or separate codes with commas.",
    )
    file = serializers.FileField(help_text="PDF, JPEG or PNG (checked from the content).")

    def validate_diagnosis_codes(self, codes: list[str]) -> list[str]:
        return [code.strip() for text in codes for code in text.split(",") if code.strip()]


class ClinicalProfileInput(serializers.Serializer):
    pregnancy_status = serializers.ChoiceField(
        choices=ClinicalProfile.Pregnancy.choices, required=False
    )
    expected_delivery_date = serializers.DateField(required=False, allow_null=True)
    lactation_status = serializers.ChoiceField(
        choices=ClinicalProfile.Lactation.choices, required=False
    )
    hepatic_impairment = serializers.ChoiceField(
        choices=ClinicalProfile.HepaticImpairment.choices,
        required=False,
        help_text="Mild, moderate and severe are Child–Pugh A, B and C.",
    )
    as_of = serializers.DateField(required=False, allow_null=True)


class AccessLogOutput(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    who = serializers.SerializerMethodField()
    actor_role = serializers.CharField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    outcome = serializers.CharField()

    def get_who(self, entry: Any) -> str:
        return access_entry_who(entry, account_id=self.context.get("account_id"))


def access_entry_who(entry: Any, *, account_id: int | None) -> str:
    """Who an access log entry names, as the patient reads it: themself, a doctor by name, or
    staff (an operator's own name is not shown to patients)."""
    actor = entry.actor
    if actor is None:
        return system_actor_label(entry.actor_role) or str(_("Someone not signed in"))
    if actor.pk == account_id:
        return str(_("You (this account)"))
    doctor = getattr(actor, "doctor_profile", None)
    if doctor is not None:
        return str(_("Doctor %(name)s") % {"name": doctor.name})
    return str(_("Xinglin staff"))


class ChronicPatientOutput(serializers.Serializer):
    patient = PatientBriefOutput()
    chronic_conditions = ConditionOutput(many=True)
    latest_readings = ReadingOutput(many=True)
    out_of_range_count = serializers.IntegerField(
        help_text="Out-of-range readings in the last 30 days."
    )
    last_consultation_at = serializers.DateTimeField(allow_null=True)


PATIENT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Patient profile id")


class PairingCodeInput(serializers.Serializer):
    patient_id = serializers.IntegerField(help_text="One of the account's patient profiles.")


class PairingCodeOutput(serializers.Serializer):
    code = serializers.CharField(help_text="Shown once: the device enters it to pair.")
    expires_at = serializers.DateTimeField()


class DeviceOutput(ModelOutputSerializer):
    is_active = serializers.BooleanField()

    class Meta:
        model = Device
        fields = [
            "id",
            "patient",
            "name",
            "serial_number",
            "paired_at",
            "last_seen_at",
            "revoked_at",
            "is_active",
        ]


class DevicePairInput(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=80, help_text="e.g. the meter's model")
    serial_number = serializers.CharField(
        max_length=80, required=False, allow_blank=True, default=""
    )


class DevicePairOutput(serializers.Serializer):
    device_id = serializers.IntegerField()
    token = serializers.CharField(
        help_text="The device's own token, shown once: send it as `Authorization: Device <token>`."
    )


class DeviceReadingInput(serializers.Serializer):
    reading_id = serializers.CharField(
        max_length=64, help_text="The device's own id of the reading: a resend is the same reading."
    )
    kind = serializers.ChoiceField(choices=Reading.Kind.choices)
    value = serializers.DecimalField(max_digits=6, decimal_places=1)
    value2 = serializers.DecimalField(
        max_digits=6, decimal_places=1, required=False, allow_null=True, default=None
    )
    measured_at = BoundedDateTimeField()


class DeviceTestScheduleInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(k, k) for k in DeviceTestSchedule.TESTABLE_KINDS])
    times = serializers.ListField(
        child=serializers.CharField(max_length=5), min_length=1, max_length=6
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    starts_on = serializers.DateField(required=False, allow_null=True, default=None)
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)


class DeviceTestScheduleOutput(ModelOutputSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    set_by_name = serializers.CharField(source="set_by.name", read_only=True)

    class Meta:
        model = DeviceTestSchedule
        fields = (
            "id",
            "kind",
            "kind_label",
            "times_of_day",
            "note",
            "set_by_name",
            "starts_on",
            "ends_on",
            "stopped_at",
        )
        read_only_fields = fields
