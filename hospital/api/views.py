from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import access_log_record
from core.idempotency import idempotent
from hospital import selectors, services
from hospital.api import serializers as s
from hospital.symptoms import suggest_departments


class DepartmentListApi(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.DepartmentOutput

    @extend_schema(operation_id="department_list", summary="Clinical departments", tags=["care"])
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.department_list())
        return self.get_paginated_response(s.DepartmentOutput(page, many=True).data)


class DoctorListApi(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.DoctorOutput

    @extend_schema(
        operation_id="doctor_list",
        summary="Doctors who may practise, filtered",
        parameters=[s.DoctorListFilters],
        tags=["care"],
    )
    def get(self, request: Request) -> Response:
        filters = s.DoctorListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.doctor_list(**filters.validated_data))
        return self.get_paginated_response(s.DoctorOutput(page, many=True).data)


class DoctorDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(operation_id="doctor_retrieve", responses=s.DoctorOutput, tags=["care"])
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.DoctorOutput(selectors.doctor_get(doctor_id=pk)).data)


class DoctorSlotListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="doctor_slot_list",
        summary="Free slots of a doctor (default: the coming 7 days)",
        parameters=[
            OpenApiParameter("from", str, description="ISO date-time, default now"),
            OpenApiParameter("to", str, description="ISO date-time, default from + 7 days"),
            OpenApiParameter("mode", str, enum=["text", "video", "phone"]),
        ],
        responses=s.SlotOutput(many=True),
        tags=["care"],
    )
    def get(self, request: Request, pk: int) -> Response:
        params = request.query_params
        filters = s.SlotFilters(
            data={
                k: v
                for k, v in {
                    "start": params.get("from"),
                    "end": params.get("to"),
                    "mode": params.get("mode"),
                }.items()
                if v is not None
            }
        )
        if not filters.is_valid():
            errors = {
                {"start": "from", "end": "to"}.get(k, k): v for k, v in filters.errors.items()
            }
            return Response(
                {"detail": "Invalid input.", "code": "invalid", "errors": errors}, status=400
            )
        doctor = selectors.doctor_get(doctor_id=pk)
        slots = selectors.doctor_free_slots(doctor=doctor, **filters.validated_data)[:500]
        return Response(s.SlotOutput(slots, many=True).data)


class SymptomCheckApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="symptom_check",
        summary="Suggest departments for described symptoms (not a diagnosis)",
        request=s.SymptomInput,
        responses=s.SymptomAdviceOutput,
        tags=["care"],
    )
    def post(self, request: Request) -> Response:
        data = s.SymptomInput(data=request.data)
        data.is_valid(raise_exception=True)
        advice = suggest_departments(data.validated_data["symptoms"])
        return Response(s.SymptomAdviceOutput(advice).data)


class AppointmentListCreateApi(GenericAPIView):
    serializer_class = s.AppointmentOutput

    @extend_schema(
        operation_id="appointment_list",
        summary="The account's appointments (for all the patients it acts for)",
        parameters=[OpenApiParameter("status", str)],
        tags=["care"],
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.appointment_list_for_account(
            account=request.user, status=request.query_params.get("status", "")
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.AppointmentOutput(page, many=True).data)

    @extend_schema(
        operation_id="appointment_create",
        summary="Book a slot (holds it while waiting for payment)",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        request=s.AppointmentInput,
        responses={201: s.AppointmentOutput},
        tags=["care"],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = s.AppointmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        appointment = services.appointment_book(
            account=request.user,
            patient_id=v["patient"],
            slot_id=v["slot"],
            mode=v["mode"],
            visit_type=v["visit_type"],
            chief_complaint=v["chief_complaint"],
            doctor_id=v.get("doctor"),
        )
        appointment = selectors.appointment_get_for_account(
            account=request.user, appointment_id=appointment.pk
        )
        return Response(s.AppointmentOutput(appointment).data, status=201)


class AppointmentDetailApi(APIView):
    @extend_schema(
        operation_id="appointment_retrieve", responses=s.AppointmentOutput, tags=["care"]
    )
    def get(self, request: Request, pk: int) -> Response:
        appointment = selectors.appointment_get_for_account(account=request.user, appointment_id=pk)
        access_log_record(
            actor=request.user,
            patient_id=appointment.patient_id,
            object_type="appointment",
            object_id=appointment.pk,
            action="read",
        )
        return Response(s.AppointmentOutput(appointment).data)


class AppointmentCancelApi(APIView):
    @extend_schema(
        operation_id="appointment_cancel",
        summary="Cancel (patient: refund until 2 h before; doctor: always refunded)",
        request=s.CancelInput,
        responses=s.AppointmentOutput,
        tags=["care"],
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = services.appointment_cancel(
            actor=request.user, appointment_id=pk, reason=data.validated_data["reason"]
        )
        return Response(s.AppointmentOutput(appointment).data)


class AppointmentRescheduleApi(APIView):
    @extend_schema(
        operation_id="appointment_reschedule",
        summary="Move to another slot (cancel + book, atomically)",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        request=s.RescheduleInput,
        responses={201: s.AppointmentOutput},
        tags=["care"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        data = s.RescheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        new = services.appointment_reschedule(
            account=request.user, appointment_id=pk, slot_id=data.validated_data["slot"]
        )
        new = selectors.appointment_get_for_account(account=request.user, appointment_id=new.pk)
        return Response(s.AppointmentOutput(new).data, status=201)


class AppointmentPayApi(APIView):
    @extend_schema(
        operation_id="appointment_pay",
        summary="Start paying a held booking; returns where to send the payer",
        request=None,
        responses=s.AppointmentPaymentOutput,
        tags=["care"],
    )
    def post(self, request: Request, pk: int) -> Response:
        started = services.appointment_pay(account=request.user, appointment_id=pk)
        appointment = selectors.appointment_get_for_account(account=request.user, appointment_id=pk)
        return Response(
            s.AppointmentPaymentOutput(
                {"appointment": appointment, "redirect_url": started.redirect_url}
            ).data
        )
