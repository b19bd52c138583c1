"""The patient's medication schedule: one thin view per operation."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hospital.prescriptions.schedule import selectors, services
from hospital.prescriptions.schedule.adherence import patient_adherence
from hospital.prescriptions.schedule.api.serializers import (
    AdherenceOutput,
    DoseMarkInput,
    DoseOutput,
    DoseSnoozeInput,
    ScheduleListFilters,
    ScheduleOutput,
    ScheduleTimesInput,
)
from hospital.records.access import record_access_check

TAGS = ["medication schedule"]


class MedicationScheduleListApi(GenericAPIView):
    serializer_class = ScheduleOutput

    @extend_schema(
        operation_id="medication_schedule_list",
        summary="The signed-in account's medication schedules running on a day, with its doses",
        parameters=[
            OpenApiParameter("date", str, description="YYYY-MM-DD, local; today if omitted"),
            OpenApiParameter("patient", int, description="One of the account's patient profiles"),
        ],
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = ScheduleListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        schedules = selectors.medication_schedule_list(
            account=request.user,
            day=filters.validated_data.get("date"),
            patient_id=filters.validated_data.get("patient"),
        )
        page = self.paginate_queryset(schedules)
        return self.get_paginated_response(ScheduleOutput(page, many=True).data)


class MedicationScheduleTimesApi(APIView):
    @extend_schema(
        operation_id="medication_schedule_times",
        summary="Move a schedule's dose times; only doses still to come change",
        request=ScheduleTimesInput,
        responses={200: ScheduleOutput},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.medication_schedule_check_own(account=request.user, schedule_id=pk)
        data = ScheduleTimesInput(data=request.data)
        data.is_valid(raise_exception=True)
        schedule = services.medication_schedule_adjust_times(
            account=request.user, schedule_id=pk, times=data.validated_data["times"]
        )
        return Response(ScheduleOutput(schedule).data)


class MedicationDoseTakenApi(APIView):
    @extend_schema(
        operation_id="medication_dose_taken",
        summary="Mark a dose taken or skipped",
        description=(
            "Another person's dose is 404; a dose already marked is 409; a dose more than the "
            "early window before its time, or a time still to come, is 400."
        ),
        request=DoseMarkInput,
        responses={200: DoseOutput},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.medication_dose_check_own(account=request.user, dose_id=pk)
        data = DoseMarkInput(data=request.data)
        data.is_valid(raise_exception=True)
        dose = services.medication_dose_mark(
            account=request.user,
            dose_id=pk,
            status=data.validated_data["status"],
            at=data.validated_data.get("at"),
        )
        return Response(DoseOutput(dose).data)


class MedicationDoseSnoozeApi(APIView):
    @extend_schema(
        operation_id="medication_dose_snooze",
        summary="Remind again in 5 to 120 minutes; the dose keeps its original time",
        request=DoseSnoozeInput,
        responses={200: DoseOutput},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.medication_dose_check_own(account=request.user, dose_id=pk)
        data = DoseSnoozeInput(data=request.data)
        data.is_valid(raise_exception=True)
        dose = services.medication_dose_snooze(
            account=request.user, dose_id=pk, minutes=data.validated_data["minutes"]
        )
        return Response(DoseOutput(dose).data)


class PatientAdherenceApi(APIView):
    @extend_schema(
        operation_id="patient_medication_adherence",
        summary="Adherence over the last 30 days: PDC and doses taken, per drug",
        description="For the patient's own account and the treating doctor (as the record).",
        responses={200: AdherenceOutput},
        tags=TAGS,
    )
    def get(self, request: Request, patient_id: int) -> Response:
        patient = record_access_check(
            user=request.user,
            patient_id=patient_id,
            action="read",
            object_type="medication_adherence",
            object_id=patient_id,
        )
        adherence = patient_adherence(patient_id=patient.pk)
        payload = {
            "patient_id": patient.pk,
            "window_start": adherence.window_start,
            "window_end": adherence.window_end,
            "line": adherence.line,
            "pdc": adherence.pdc,
            "doses_due": adherence.doses_due,
            "doses_taken": adherence.doses_taken,
            "doses_taken_share": adherence.doses_taken_share,
            "meets_line": adherence.meets_line,
            "drugs": adherence.drugs,
        }
        return Response(AdherenceOutput(payload).data)
