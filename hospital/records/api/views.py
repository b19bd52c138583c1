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
from rest_framework.exceptions import Throttled
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import patient_access_log
from core.cache import rate_limit_exceeded
from core.exceptions import NotFound
from core.request_context import client_ip
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
    DeviceOutput,
    DevicePairInput,
    DevicePairOutput,
    DeviceReadingInput,
    DeviceTestScheduleInput,
    DeviceTestScheduleOutput,
    MedicalDocumentInput,
    MedicalDocumentOutput,
    MedicationInput,
    MedicationOutput,
    MedicationStatusInput,
    PairingCodeInput,
    PairingCodeOutput,
    ReadingFilters,
    ReadingInput,
    ReadingOutput,
    RecordOutput,
)
from hospital.records.fhir import patient_fhir_bundle
from hospital.records.services import device_tests as services_device_tests
from hospital.records.services import devices as services_devices
from hospital.records.services import documents as services_documents
from hospital.records.services import entries as services_entries
from hospital.records.services import readings as services_readings

TAGS = ["health record"]


def record_write_check(request: Request, patient_id: int) -> None:
    """Another person's record is a 404 before the body is read, whatever the body. A refusal
    is logged here; a success is logged by the write itself."""
    record_access_check(
        user=request.user,
        patient_id=patient_id,
        action="update",
        object_type="record",
        log_success=False,
    )


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
        record_write_check(request, id)
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
        record_write_check(request, id)
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
        record_write_check(request, id)
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
        record_write_check(request, id)
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
        record_write_check(request, id)
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
        record_write_check(request, id)
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
        record_write_check(request, id)
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
        record_write_check(request, id)
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


DEVICE_TAGS = ["devices"]
# A meter sends a reading every few minutes at most; a backlog after a week offline arrives in
# a burst. More than this in a minute is a fault or an abuse, refused with 429.
DEVICE_READINGS_PER_MINUTE = 120
# Pairing attempts per client address in ten minutes: far too few to guess a 40-bit code.
DEVICE_PAIRINGS_PER_WINDOW = 10


class DevicePairingCodeApi(APIView):
    @extend_schema(
        operation_id="device_pairing_code_create",
        summary="A short-lived code that pairs a device to one of the account's patients",
        request=PairingCodeInput,
        responses={201: PairingCodeOutput},
        tags=DEVICE_TAGS,
    )
    def post(self, request: Request) -> Response:
        data = PairingCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        pairing, code = services_devices.device_pairing_code_create(
            actor=request.user, patient_id=data.validated_data["patient_id"]
        )
        return Response(
            PairingCodeOutput({"code": code, "expires_at": pairing.expires_at}).data, status=201
        )


class DeviceListApi(GenericAPIView):
    serializer_class = DeviceOutput

    @extend_schema(
        operation_id="device_list", summary="The account's paired devices", tags=DEVICE_TAGS
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(records.device_list(account=request.user))
        return self.get_paginated_response(DeviceOutput(page, many=True).data)


class DeviceDetailApi(APIView):
    def _device(self, request: Request, id: int) -> Any:
        device = records.device_list(account=request.user).filter(pk=id).first()
        if device is None:
            raise NotFound(_("Device not found."))
        return device

    @extend_schema(operation_id="device_get", responses=DeviceOutput, tags=DEVICE_TAGS)
    def get(self, request: Request, id: int) -> Response:
        return Response(DeviceOutput(self._device(request, id)).data)

    @extend_schema(
        operation_id="device_revoke",
        summary="Revoke the device's pairing: its token stops working at once",
        responses={204: None},
        tags=DEVICE_TAGS,
    )
    def delete(self, request: Request, id: int) -> Response:
        services_devices.device_revoke(actor=request.user, device_id=self._device(request, id).pk)
        return Response(status=204)


class DevicePairApi(APIView):
    """Called by the device, which has no account: the code is its only credential."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="device_pair",
        summary="The device exchanges a pairing code for its own token",
        request=DevicePairInput,
        responses={201: DevicePairOutput},
        auth=[],
        tags=DEVICE_TAGS,
    )
    def post(self, request: Request) -> Response:
        if rate_limit_exceeded(
            f"device-pair:{client_ip(request)}", limit=DEVICE_PAIRINGS_PER_WINDOW, window=600
        ):
            raise Throttled(wait=600)
        data = DevicePairInput(data=request.data)
        data.is_valid(raise_exception=True)
        device, token = services_devices.device_pair(**data.validated_data)
        return Response(DevicePairOutput({"device_id": device.pk, "token": token}).data, status=201)


class DeviceReadingApi(APIView):
    """Called by a paired device with `Authorization: Device <token>`."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="device_reading_create",
        summary="A paired device sends a reading (idempotent by the device's reading id)",
        request=DeviceReadingInput,
        responses={
            201: ReadingOutput,
            200: OpenApiResponse(ReadingOutput, description="Sent before: the same reading."),
            401: OpenApiResponse(description="No device token, or an unknown or revoked one."),
        },
        parameters=[
            OpenApiParameter(
                "Authorization",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="Device <token>",
            )
        ],
        auth=[],
        tags=DEVICE_TAGS,
    )
    def post(self, request: Request) -> Response:
        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        device = services_devices.device_for_token(token.strip() if scheme == "Device" else "")
        if rate_limit_exceeded(
            f"device-readings:{device.pk}", limit=DEVICE_READINGS_PER_MINUTE, window=60
        ):
            raise Throttled(wait=60)
        data = DeviceReadingInput(data=request.data)
        data.is_valid(raise_exception=True)
        reading, created = services_devices.device_reading_record(
            device=device, **data.validated_data
        )
        return Response(ReadingOutput(reading).data, status=201 if created else 200)


class DeviceTestScheduleListCreateApi(APIView):
    @extend_schema(
        operation_id="patient_device_test_schedule_list",
        summary="The patient's running test schedules (when to measure with a device)",
        parameters=[PATIENT_ID],
        responses=DeviceTestScheduleOutput(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, id: int) -> Response:
        patient = record_access_check(
            user=request.user, patient_id=id, action="list", object_type="devicetestschedule"
        )
        schedules = records.device_test_schedule_list(patient=patient)
        return Response(DeviceTestScheduleOutput(schedules, many=True).data)

    @extend_schema(
        operation_id="patient_device_test_schedule_set",
        summary="The treating doctor sets when the patient tests (replaces one for that kind)",
        parameters=[PATIENT_ID],
        request=DeviceTestScheduleInput,
        responses={201: DeviceTestScheduleOutput},
        tags=TAGS,
    )
    def post(self, request: Request, id: int) -> Response:
        record_write_check(request, id)
        data = DeviceTestScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        schedule = services_device_tests.device_test_schedule_set(
            doctor_user=request.user, patient_id=id, **data.validated_data
        )
        return Response(DeviceTestScheduleOutput(schedule).data, status=201)


class DeviceTestScheduleStopApi(APIView):
    @extend_schema(
        operation_id="device_test_schedule_stop",
        summary="The treating doctor stops a test schedule; its unsent reminders are withdrawn",
        request=None,
        responses=DeviceTestScheduleOutput,
        tags=TAGS,
    )
    def post(self, request: Request, id: int) -> Response:
        schedule = services_device_tests.device_test_schedule_stop(
            doctor_user=request.user, schedule_id=id
        )
        return Response(DeviceTestScheduleOutput(schedule).data)
