"""The health record API: /api/v1/patients/{id}/record/, its parts, the FHIR export, the access
log the patient reads, and the doctor's chronic-care panel.

Every view goes through hospital.record_access (reads) or a record service (writes), which
answer 404 to anyone who may not see the patient and put every attempt on the access log.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.selectors import access_log_for_patient
from core.api.serializers import ModelOutputSerializer
from core.exceptions import NotFound
from hospital import selectors_records as records
from hospital.api.serializers import BoundedDateTimeField
from hospital.fhir import patient_fhir_bundle
from hospital.models import (
    Allergy,
    ClinicalProfile,
    Condition,
    MedicalDocument,
    Medication,
    Reading,
)
from hospital.record_access import record_access_check, record_access_log
from hospital.services import records as record_services

TAGS = ["health record"]


# ---------------------------------------------------------------------------------------------
# Output


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
        ]


class PatientBriefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    real_name = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.DateField()
    age = serializers.IntegerField()


class ConsultationBriefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    kind = serializers.CharField()
    doctor_name = serializers.CharField(source="doctor.name", default="")
    department = serializers.CharField(source="department.name")
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    diagnoses = serializers.SerializerMethodField()

    def get_diagnoses(self, consultation: Any) -> list[str]:
        return [d.code for d in consultation.diagnoses.all()]


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


# ---------------------------------------------------------------------------------------------
# Input


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
        return str(_("Someone not signed in"))
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


# ---------------------------------------------------------------------------------------------
# Views

PATIENT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Patient profile id")


class RecordApi(APIView):
    @extend_schema(
        operation_id="patient_record",
        summary="A patient's whole health record in one response",
        parameters=[PATIENT_ID],
        responses=RecordOutput,
        tags=TAGS,
    )
    def get(self, request: Request, id: int) -> Response:
        patient = record_access_check(
            user=request.user, patient_id=id, action="read", object_type="record"
        )
        return Response(RecordOutput(records.patient_record_summary(patient=patient)).data)


class _RecordListApi(GenericAPIView):
    object_type = ""

    def _patient(self, request: Request, id: int) -> Any:
        return record_access_check(
            user=request.user, patient_id=id, action="list", object_type=self.object_type
        )

    def _created(self, serializer: type[serializers.Serializer], entry: Any) -> Response:
        return Response(serializer(entry).data, status=201)


class AllergyListCreateApi(_RecordListApi):
    object_type = "allergy"
    serializer_class = AllergyOutput

    @extend_schema(operation_id="patient_allergy_list", parameters=[PATIENT_ID], tags=TAGS)
    def get(self, request: Request, id: int) -> Response:
        page = self.paginate_queryset(records.allergy_list(patient=self._patient(request, id)))
        return self.get_paginated_response(AllergyOutput(page, many=True).data)

    @extend_schema(
        operation_id="patient_allergy_create",
        summary="Record an allergy (the patient's account or the treating doctor)",
        parameters=[PATIENT_ID],
        request=AllergyInput,
        responses={201: AllergyOutput},
        tags=TAGS,
    )
    def post(self, request: Request, id: int) -> Response:
        data = AllergyInput(data=request.data)
        data.is_valid(raise_exception=True)
        allergy = record_services.allergy_record(
            actor=request.user, patient_id=id, **data.validated_data
        )
        return self._created(AllergyOutput, allergy)


class AllergyStatusApi(APIView):
    @extend_schema(
        operation_id="patient_allergy_update",
        summary="Mark an allergy inactive, active again, or entered in error",
        parameters=[PATIENT_ID],
        request=AllergyStatusInput,
        responses=AllergyOutput,
        tags=TAGS,
    )
    def patch(self, request: Request, id: int, item_id: int) -> Response:
        data = AllergyStatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        allergy = record_services.allergy_set_status(
            actor=request.user, patient_id=id, allergy_id=item_id, **data.validated_data
        )
        return Response(AllergyOutput(allergy).data)


class ConditionListCreateApi(_RecordListApi):
    object_type = "condition"
    serializer_class = ConditionOutput

    @extend_schema(operation_id="patient_condition_list", parameters=[PATIENT_ID], tags=TAGS)
    def get(self, request: Request, id: int) -> Response:
        page = self.paginate_queryset(records.condition_list(patient=self._patient(request, id)))
        return self.get_paginated_response(ConditionOutput(page, many=True).data)

    @extend_schema(
        operation_id="patient_condition_create",
        summary="Record a condition (ICD-10): the patient's history, or a doctor's diagnosis",
        parameters=[PATIENT_ID],
        request=ConditionInput,
        responses={201: ConditionOutput},
        tags=TAGS,
    )
    def post(self, request: Request, id: int) -> Response:
        data = ConditionInput(data=request.data)
        data.is_valid(raise_exception=True)
        condition = record_services.condition_record(
            actor=request.user, patient_id=id, **data.validated_data
        )
        return self._created(ConditionOutput, condition)


class ConditionUpdateApi(APIView):
    @extend_schema(
        operation_id="patient_condition_update",
        summary="Resolve a condition, mark it entered in error, or set whether it is chronic",
        parameters=[PATIENT_ID],
        request=ConditionUpdateInput,
        responses=ConditionOutput,
        tags=TAGS,
    )
    def patch(self, request: Request, id: int, item_id: int) -> Response:
        data = ConditionUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        condition = record_services.condition_update(
            actor=request.user, patient_id=id, condition_id=item_id, **data.validated_data
        )
        return Response(ConditionOutput(condition).data)


class MedicationListCreateApi(_RecordListApi):
    object_type = "medication"
    serializer_class = MedicationOutput

    @extend_schema(
        operation_id="patient_medication_list",
        parameters=[PATIENT_ID, OpenApiParameter("current", bool)],
        tags=TAGS,
    )
    def get(self, request: Request, id: int) -> Response:
        current = request.query_params.get("current", "").lower() in ("1", "true", "yes")
        medications = records.medication_list(
            patient=self._patient(request, id), current_only=current
        )
        page = self.paginate_queryset(medications)
        return self.get_paginated_response(MedicationOutput(page, many=True).data)

    @extend_schema(
        operation_id="patient_medication_create",
        summary="Report a medicine the patient takes (the patient's account)",
        parameters=[PATIENT_ID],
        request=MedicationInput,
        responses={201: MedicationOutput},
        tags=TAGS,
    )
    def post(self, request: Request, id: int) -> Response:
        data = MedicationInput(data=request.data)
        data.is_valid(raise_exception=True)
        medication = record_services.medication_record(
            actor=request.user, patient_id=id, **data.validated_data
        )
        return self._created(MedicationOutput, medication)


class MedicationStatusApi(APIView):
    @extend_schema(
        operation_id="patient_medication_update",
        summary="Stop a medicine or mark it entered in error",
        parameters=[PATIENT_ID],
        request=MedicationStatusInput,
        responses=MedicationOutput,
        tags=TAGS,
    )
    def patch(self, request: Request, id: int, item_id: int) -> Response:
        data = MedicationStatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        medication = record_services.medication_set_status(
            actor=request.user, patient_id=id, medication_id=item_id, **data.validated_data
        )
        return Response(MedicationOutput(medication).data)


class ReadingListCreateApi(_RecordListApi):
    object_type = "reading"
    serializer_class = ReadingOutput

    @extend_schema(
        operation_id="patient_reading_list",
        summary="Readings, newest first",
        parameters=[PATIENT_ID, ReadingFilters],
        tags=TAGS,
    )
    def get(self, request: Request, id: int) -> Response:
        filters = ReadingFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        v = filters.validated_data
        readings = records.reading_list(
            patient=self._patient(request, id),
            kind=v.get("kind", ""),
            since=v.get("since"),
            out_of_range_only=v.get("out_of_range", False),
        )
        page = self.paginate_queryset(readings)
        return self.get_paginated_response(ReadingOutput(page, many=True).data)

    @extend_schema(
        operation_id="patient_reading_create",
        summary="Record a reading; out-of-range ones are flagged and the treating doctors told",
        parameters=[PATIENT_ID],
        request=ReadingInput,
        responses={201: ReadingOutput},
        tags=TAGS,
    )
    def post(self, request: Request, id: int) -> Response:
        data = ReadingInput(data=request.data)
        data.is_valid(raise_exception=True)
        reading = record_services.reading_record(
            actor=request.user, patient_id=id, **data.validated_data
        )
        return self._created(ReadingOutput, reading)


class ReadingEnteredInErrorApi(APIView):
    @extend_schema(
        operation_id="patient_reading_entered_in_error",
        summary="Mark a reading entered in error (it stays in the history)",
        parameters=[PATIENT_ID],
        request=None,
        responses=ReadingOutput,
        tags=TAGS,
    )
    def post(self, request: Request, id: int, item_id: int) -> Response:
        reading = record_services.reading_mark_entered_in_error(
            actor=request.user, patient_id=id, reading_id=item_id
        )
        return Response(ReadingOutput(reading).data)


class MedicalDocumentListCreateApi(_RecordListApi):
    object_type = "medicaldocument"
    serializer_class = MedicalDocumentOutput
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="patient_document_list", parameters=[PATIENT_ID], tags=TAGS)
    def get(self, request: Request, id: int) -> Response:
        documents = records.medical_document_list(patient=self._patient(request, id))
        page = self.paginate_queryset(documents)
        return self.get_paginated_response(MedicalDocumentOutput(page, many=True).data)

    @extend_schema(
        operation_id="patient_document_create",
        summary="Upload a medical document (multipart; the patient's account)",
        parameters=[PATIENT_ID],
        request={"multipart/form-data": MedicalDocumentInput},
        responses={201: MedicalDocumentOutput},
        tags=TAGS,
    )
    def post(self, request: Request, id: int) -> Response:
        data = MedicalDocumentInput(data=request.data)
        data.is_valid(raise_exception=True)
        document = record_services.medical_document_upload(
            actor=request.user, patient_id=id, **data.validated_data
        )
        return self._created(MedicalDocumentOutput, document)


class MedicalDocumentEnteredInErrorApi(APIView):
    @extend_schema(
        operation_id="patient_document_entered_in_error",
        summary="Withdraw a document uploaded by mistake (it stays in the history)",
        parameters=[PATIENT_ID],
        request=None,
        responses=MedicalDocumentOutput,
        tags=TAGS,
    )
    def post(self, request: Request, id: int, item_id: int) -> Response:
        document = record_services.medical_document_mark_entered_in_error(
            actor=request.user, patient_id=id, document_id=item_id
        )
        return Response(MedicalDocumentOutput(document).data)


def medical_document_response(*, user: Any, patient_id: int, document_id: int) -> FileResponse:
    """The document's file for someone who may see the patient; logged as a read (the API and
    the pages share it)."""
    patient = record_access_check(
        user=user,
        patient_id=patient_id,
        action="read",
        object_type="medicaldocument",
        object_id=document_id,
        log_success=False,
    )
    document = records.medical_document_get(patient=patient, document_id=document_id)
    if document is None:
        record_access_log(
            user=user,
            patient=patient,
            action="read",
            object_type="medicaldocument",
            object_id=document_id,
            outcome="not_found",
        )
        raise NotFound(_("No such document on this record."))
    record_access_log(
        user=user,
        patient=patient,
        action="read",
        object_type="medicaldocument",
        object_id=document.pk,
        detail="download",
    )
    extension = (document.file.name or "").rsplit(".", 1)[-1]
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=True,
        filename=f"document-{document.pk}-{document.document_date:%Y%m%d}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class MedicalDocumentDownloadApi(APIView):
    @extend_schema(
        operation_id="patient_document_download",
        summary="The document's file (PDF, JPEG or PNG)",
        parameters=[PATIENT_ID],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        tags=TAGS,
    )
    def get(self, request: Request, id: int, item_id: int) -> FileResponse:
        return medical_document_response(user=request.user, patient_id=id, document_id=item_id)


class ClinicalProfileApi(APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        operation_id="patient_clinical_profile",
        summary="Pregnancy and breastfeeding, each as of a date",
        parameters=[PATIENT_ID],
        responses=ClinicalProfileOutput,
        tags=TAGS,
    )
    def get(self, request: Request, id: int) -> Response:
        patient = record_access_check(
            user=request.user, patient_id=id, action="read", object_type="clinicalprofile"
        )
        return Response(ClinicalProfileOutput(records.clinical_profile_get(patient=patient)).data)

    @extend_schema(
        operation_id="patient_clinical_profile_update",
        parameters=[PATIENT_ID],
        request=ClinicalProfileInput,
        responses=ClinicalProfileOutput,
        tags=TAGS,
    )
    def patch(self, request: Request, id: int) -> Response:
        data = ClinicalProfileInput(data=request.data)
        data.is_valid(raise_exception=True)
        profile = record_services.clinical_profile_update(
            actor=request.user, patient_id=id, **data.validated_data
        )
        return Response(ClinicalProfileOutput(profile).data)


class AccessLogApi(GenericAPIView):
    serializer_class = AccessLogOutput

    @extend_schema(
        operation_id="patient_access_log",
        summary="Who looked at or changed this patient's record, and when (the account only)",
        parameters=[PATIENT_ID],
        tags=TAGS,
    )
    def get(self, request: Request, id: int) -> Response:
        entries = access_log_for_patient(account=request.user, patient_id=id).select_related(
            "actor__doctor_profile"
        )
        page = self.paginate_queryset(entries)
        output = AccessLogOutput(page, many=True, context={"account_id": request.user.pk})
        return self.get_paginated_response(output.data)


class FhirBundleApi(APIView):
    @extend_schema(
        operation_id="patient_fhir_bundle",
        summary="The record as a FHIR R4 Bundle (collection)",
        parameters=[PATIENT_ID],
        responses={(200, "application/fhir+json"): OpenApiTypes.OBJECT},
        tags=TAGS,
    )
    def get(self, request: Request, id: int) -> Response:
        patient = record_access_check(
            user=request.user, patient_id=id, action="export", object_type="fhir_bundle"
        )
        bundle = patient_fhir_bundle(summary=records.patient_record_summary(patient=patient))
        response = Response(bundle)
        response["Content-Disposition"] = f'inline; filename="patient-{patient.pk}-fhir.json"'
        return response


class ChronicCareApi(APIView):
    @extend_schema(
        operation_id="doctor_chronic_care",
        summary="The doctor's patients with chronic conditions, latest readings and flags",
        responses={200: ChronicPatientOutput(many=True), 404: OpenApiResponse()},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        if getattr(request.user, "doctor_profile", None) is None:
            raise NotFound(_("Not found."))
        rows = records.chronic_panel_for_doctor(doctor_user=request.user)
        for row in rows:
            record_access_log(
                user=request.user,
                patient=row.patient,
                action="list",
                object_type="chronic_panel",
                detail="treating_doctor",
            )
        return Response(ChronicPatientOutput(rows, many=True).data)


def _patient_path(suffix: str) -> str:
    return f"patients/<int:id>/{suffix}"


urlpatterns = [
    path(_patient_path("record/"), RecordApi.as_view(), name="patient-record"),
    path(_patient_path("allergies/"), AllergyListCreateApi.as_view(), name="patient-allergies"),
    path(
        _patient_path("allergies/<int:item_id>/"),
        AllergyStatusApi.as_view(),
        name="patient-allergy",
    ),
    path(_patient_path("conditions/"), ConditionListCreateApi.as_view(), name="patient-conditions"),
    path(
        _patient_path("conditions/<int:item_id>/"),
        ConditionUpdateApi.as_view(),
        name="patient-condition",
    ),
    path(
        _patient_path("medications/"),
        MedicationListCreateApi.as_view(),
        name="patient-medications",
    ),
    path(
        _patient_path("medications/<int:item_id>/"),
        MedicationStatusApi.as_view(),
        name="patient-medication",
    ),
    path(_patient_path("readings/"), ReadingListCreateApi.as_view(), name="patient-readings"),
    path(
        _patient_path("readings/<int:item_id>/entered-in-error/"),
        ReadingEnteredInErrorApi.as_view(),
        name="patient-reading-entered-in-error",
    ),
    path(
        _patient_path("documents/"),
        MedicalDocumentListCreateApi.as_view(),
        name="patient-documents",
    ),
    path(
        _patient_path("documents/<int:item_id>/download/"),
        MedicalDocumentDownloadApi.as_view(),
        name="patient-document-download",
    ),
    path(
        _patient_path("documents/<int:item_id>/entered-in-error/"),
        MedicalDocumentEnteredInErrorApi.as_view(),
        name="patient-document-entered-in-error",
    ),
    path(
        _patient_path("clinical-profile/"),
        ClinicalProfileApi.as_view(),
        name="patient-clinical-profile",
    ),
    path(_patient_path("access-log/"), AccessLogApi.as_view(), name="patient-access-log"),
    path(_patient_path("fhir/"), FhirBundleApi.as_view(), name="patient-fhir"),
    path("chronic-care/", ChronicCareApi.as_view(), name="chronic-care"),
]
