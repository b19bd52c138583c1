"""The health record API: /api/v1/patients/{id}/record/, its parts, the FHIR export, the access
log the patient reads, and the doctor's chronic-care panel.

Every view goes through hospital.records.access (reads) or a record service (writes), which
answer 404 to anyone who may not see the patient and put every attempt on the access log."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import patient_access_log
from core.exceptions import NotFound
from hospital.records import selectors as records
from hospital.records.access import record_access_check, record_access_log
from hospital.records.api.serializers import (
    PATIENT_ID,
    AccessLogOutput,
    AllergyInput,
    AllergyOutput,
    AllergyStatusInput,
    ChronicPatientOutput,
    ClinicalProfileInput,
    ClinicalProfileOutput,
    ConditionInput,
    ConditionOutput,
    ConditionUpdateInput,
    MedicalDocumentInput,
    MedicalDocumentOutput,
    MedicationInput,
    MedicationOutput,
    MedicationStatusInput,
    ReadingFilters,
    ReadingInput,
    ReadingOutput,
    RecordOutput,
)
from hospital.records.fhir import patient_fhir_bundle
from hospital.records.services import documents as services_documents
from hospital.records.services import entries as services_entries
from hospital.records.services import readings as services_readings

TAGS = ["health record"]


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
        allergy = services_entries.allergy_record(
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
        allergy = services_entries.allergy_set_status(
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
        condition = services_entries.condition_record(
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
        condition = services_entries.condition_update(
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
        medication = services_entries.medication_record(
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
        medication = services_entries.medication_set_status(
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
        reading = services_readings.reading_record(
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
        reading = services_readings.reading_mark_entered_in_error(
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
        document = services_documents.medical_document_upload(
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
        document = services_documents.medical_document_mark_entered_in_error(
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
        profile = services_entries.clinical_profile_update(
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
        entries = patient_access_log(account=request.user, patient_id=id).select_related(
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
