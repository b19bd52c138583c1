import datetime as dt

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import access_log_record
from core.api.serializers import ModelOutputSerializer
from core.idempotency import idempotent
from hospital.booking import selectors
from hospital.booking.models import Appointment, ExpertRequest, Slot
from hospital.booking.services import appointments, expert_requests
from hospital.booking.symptoms import suggest_departments
from hospital.doctors import selectors as doctor_selectors
from hospital.doctors.api import DepartmentOutput
from hospital.doctors.models import ConsultationMode


class BoundedDateTimeField(serializers.DateTimeField):
    """A date-time kept well inside datetime's range: year 1 in Beijing is before datetime.min
    in UTC, and the slot window adds a week to "from", so either end would raise OverflowError
    (a 500) instead of answering 400."""

    earliest = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
    latest = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)

    def to_internal_value(self, value: dt.datetime | str) -> dt.datetime:
        try:
            parsed = super().to_internal_value(value)
        except OverflowError:
            parsed = None
        if parsed is None or not (self.earliest <= parsed < self.latest):
            raise serializers.ValidationError(_("Enter a date between 1900 and 2999."))
        return parsed


class SlotFilters(serializers.Serializer):
    # "from" is a Python keyword: the field is renamed in the view.
    start = BoundedDateTimeField(required=False)
    end = BoundedDateTimeField(required=False)
    mode = serializers.ChoiceField(
        choices=ConsultationMode.choices, required=False, allow_blank=True
    )

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"to": ["Must be after 'from'."]})
        return attrs


class SlotOutput(ModelOutputSerializer):
    remaining = serializers.IntegerField(read_only=True)

    class Meta:
        model = Slot
        fields = ["id", "mode", "starts_at", "ends_at", "capacity", "remaining"]


class SymptomInput(serializers.Serializer):
    symptoms = serializers.CharField(max_length=1000)


class SymptomSuggestionOutput(serializers.Serializer):
    department = DepartmentOutput()
    matched = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()


class SymptomAdviceOutput(serializers.Serializer):
    suggestions = SymptomSuggestionOutput(many=True)
    emergency = serializers.BooleanField()
    disclaimer = serializers.CharField()


class AppointmentInput(serializers.Serializer):
    patient = serializers.IntegerField(min_value=1)
    slot = serializers.IntegerField(min_value=1)
    mode = serializers.ChoiceField(choices=ConsultationMode.choices)
    visit_type = serializers.ChoiceField(choices=Appointment.VisitType.choices)
    chief_complaint = serializers.CharField(max_length=1000)
    doctor = serializers.IntegerField(
        min_value=1, required=False, help_text="If given, the slot must be this doctor's."
    )


class RescheduleInput(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1)


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AppointmentPatientOutput(serializers.Serializer):
    id = serializers.IntegerField()
    real_name = serializers.CharField()


class AppointmentDoctorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    department = serializers.CharField(source="department.name")


class AppointmentOutput(ModelOutputSerializer):
    patient = AppointmentPatientOutput()
    doctor = AppointmentDoctorOutput()
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    ends_at = serializers.DateTimeField(source="slot.ends_at")
    patient_due = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    payment_status = serializers.CharField(source="payment.status", default=None)
    payment_token = serializers.UUIDField(source="payment.token", default=None)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "status",
            "patient",
            "doctor",
            "slot",
            "mode",
            "visit_type",
            "chief_complaint",
            "starts_at",
            "ends_at",
            "fee",
            "insurance_share",
            "account_share",
            "patient_due",
            "payment_status",
            "payment_token",
            "hold_expires_at",
            "confirmed_at",
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
            "refund_amount",
            "rescheduled_from",
            "created_at",
        ]


class AppointmentPaymentOutput(serializers.Serializer):
    appointment = AppointmentOutput()
    redirect_url = serializers.CharField(help_text="Send the payer here to pay.")


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
        responses=SlotOutput(many=True),
        tags=["care"],
    )
    def get(self, request: Request, pk: int) -> Response:
        params = request.query_params
        filters = SlotFilters(
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
        doctor = doctor_selectors.doctor_get(doctor_id=pk)
        slots = selectors.doctor_free_slots(doctor=doctor, **filters.validated_data)[:500]
        return Response(SlotOutput(slots, many=True).data)


class SymptomCheckApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="symptom_check",
        summary="Suggest departments for described symptoms (not a diagnosis)",
        request=SymptomInput,
        responses=SymptomAdviceOutput,
        tags=["care"],
    )
    def post(self, request: Request) -> Response:
        data = SymptomInput(data=request.data)
        data.is_valid(raise_exception=True)
        advice = suggest_departments(data.validated_data["symptoms"])
        return Response(SymptomAdviceOutput(advice).data)


class AppointmentListCreateApi(GenericAPIView):
    serializer_class = AppointmentOutput

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
        return self.get_paginated_response(AppointmentOutput(page, many=True).data)

    @extend_schema(
        operation_id="appointment_create",
        summary="Book a slot (holds it while waiting for payment)",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        request=AppointmentInput,
        responses={201: AppointmentOutput},
        tags=["care"],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = AppointmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        appointment = appointments.appointment_book(
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
        return Response(AppointmentOutput(appointment).data, status=201)


class AppointmentDetailApi(APIView):
    @extend_schema(operation_id="appointment_retrieve", responses=AppointmentOutput, tags=["care"])
    def get(self, request: Request, pk: int) -> Response:
        appointment = selectors.appointment_get_for_account(account=request.user, appointment_id=pk)
        access_log_record(
            actor=request.user,
            patient_id=appointment.patient_id,
            object_type="appointment",
            object_id=appointment.pk,
            action="read",
        )
        return Response(AppointmentOutput(appointment).data)


class AppointmentCancelApi(APIView):
    @extend_schema(
        operation_id="appointment_cancel",
        summary="Cancel (patient: refund until 2 h before; doctor: always refunded)",
        request=CancelInput,
        responses=AppointmentOutput,
        tags=["care"],
    )
    def post(self, request: Request, pk: int) -> Response:
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = appointments.appointment_cancel(
            actor=request.user, appointment_id=pk, reason=data.validated_data["reason"]
        )
        return Response(AppointmentOutput(appointment).data)


class AppointmentRescheduleApi(APIView):
    @extend_schema(
        operation_id="appointment_reschedule",
        summary="Move to another slot (cancel + book, atomically)",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        request=RescheduleInput,
        responses={201: AppointmentOutput},
        tags=["care"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        # Another account's appointment is a 404 whatever the body says.
        selectors.appointment_get_for_account(account=request.user, appointment_id=pk)
        data = RescheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        new = appointments.appointment_reschedule(
            account=request.user, appointment_id=pk, slot_id=data.validated_data["slot"]
        )
        new = selectors.appointment_get_for_account(account=request.user, appointment_id=new.pk)
        return Response(AppointmentOutput(new).data, status=201)


class AppointmentPayApi(APIView):
    @extend_schema(
        operation_id="appointment_pay",
        summary="Start paying a held booking; returns where to send the payer",
        request=None,
        responses=AppointmentPaymentOutput,
        tags=["care"],
    )
    def post(self, request: Request, pk: int) -> Response:
        started = appointments.appointment_pay(account=request.user, appointment_id=pk)
        appointment = selectors.appointment_get_for_account(account=request.user, appointment_id=pk)
        return Response(
            AppointmentPaymentOutput(
                {"appointment": appointment, "redirect_url": started.redirect_url}
            ).data
        )


EXPERT_TAGS = ["expert requests"]


class ExpertRequestInput(serializers.Serializer):
    patient = serializers.IntegerField(min_value=1)
    expert = serializers.IntegerField(min_value=1, help_text="A doctor of the expert tier.")
    mode = serializers.ChoiceField(choices=ConsultationMode.choices)
    visit_type = serializers.ChoiceField(choices=Appointment.VisitType.choices)
    chief_complaint = serializers.CharField(max_length=1000)
    preferred_times = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class ExpertRequestConfirmInput(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1, help_text="A free slot of the expert.")


class ExpertRequestDeclineInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class ExpertRequestAppointmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    ends_at = serializers.DateTimeField(source="slot.ends_at")


class ExpertRequestOutput(ModelOutputSerializer):
    patient = AppointmentPatientOutput()
    expert = AppointmentDoctorOutput()
    status_display = serializers.CharField(source="get_status_display")
    payment_status = serializers.CharField(source="payment.status", default=None)
    appointment = ExpertRequestAppointmentOutput(allow_null=True)

    class Meta:
        model = ExpertRequest
        fields = [
            "id",
            "status",
            "status_display",
            "patient",
            "expert",
            "mode",
            "visit_type",
            "chief_complaint",
            "preferred_times",
            "fee",
            "payment_status",
            "hold_expires_at",
            "paid_at",
            "confirm_by",
            "appointment",
            "decided_at",
            "decline_reason",
            "refund_amount",
            "created_at",
        ]


class ExpertRequestPaymentOutput(serializers.Serializer):
    request = ExpertRequestOutput()
    redirect_url = serializers.CharField(help_text="Send the payer here to pay.")


class ExpertRequestListCreateApi(GenericAPIView):
    serializer_class = ExpertRequestOutput

    @extend_schema(
        operation_id="expert_request_list",
        summary="The account's expert appointment requests",
        parameters=[OpenApiParameter("status", str, enum=ExpertRequest.Status.values)],
        tags=EXPERT_TAGS,
    )
    def get(self, request: Request) -> Response:
        status = request.query_params.get("status", "")
        if status and status not in ExpertRequest.Status.values:
            return Response(
                {
                    "detail": "Invalid input.",
                    "code": "invalid",
                    "errors": {"status": [f"Choose one of {', '.join(ExpertRequest.Status)}."]},
                },
                status=400,
            )
        queryset = selectors.expert_request_list_for_account(account=request.user, status=status)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ExpertRequestOutput(page, many=True).data)

    @extend_schema(
        operation_id="expert_request_create",
        summary="One tap to call an expert: ask for an appointment (the fee is paid up front; "
        "confirmed by the expert's assistant within the tier's promise, or refunded)",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        request=ExpertRequestInput,
        responses={201: ExpertRequestOutput},
        tags=EXPERT_TAGS,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = ExpertRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        created = expert_requests.expert_request_create(
            account=request.user,
            patient_id=v["patient"],
            expert_id=v["expert"],
            mode=v["mode"],
            visit_type=v["visit_type"],
            chief_complaint=v["chief_complaint"],
            preferred_times=v["preferred_times"],
        )
        found = selectors.expert_request_get_for_account(
            account=request.user, request_id=created.pk
        )
        return Response(ExpertRequestOutput(found).data, status=201)


class ExpertRequestDetailApi(APIView):
    @extend_schema(
        operation_id="expert_request_retrieve", responses=ExpertRequestOutput, tags=EXPERT_TAGS
    )
    def get(self, request: Request, pk: int) -> Response:
        found = selectors.expert_request_get_for_account(account=request.user, request_id=pk)
        return Response(ExpertRequestOutput(found).data)


class ExpertRequestPayApi(APIView):
    @extend_schema(
        operation_id="expert_request_pay",
        summary="Start paying a request's fee; returns where to send the payer",
        request=None,
        responses=ExpertRequestPaymentOutput,
        tags=EXPERT_TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        started = expert_requests.expert_request_pay(account=request.user, request_id=pk)
        found = selectors.expert_request_get_for_account(account=request.user, request_id=pk)
        return Response(
            ExpertRequestPaymentOutput(
                {"request": found, "redirect_url": started.redirect_url}
            ).data
        )


class ExpertRequestCancelApi(APIView):
    @extend_schema(
        operation_id="expert_request_cancel",
        summary="Withdraw a request not yet confirmed (a paid one is refunded in full)",
        request=None,
        responses=ExpertRequestOutput,
        tags=EXPERT_TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        expert_requests.expert_request_cancel(account=request.user, request_id=pk)
        found = selectors.expert_request_get_for_account(account=request.user, request_id=pk)
        return Response(ExpertRequestOutput(found).data)


class AssistantRequestListApi(GenericAPIView):
    serializer_class = ExpertRequestOutput

    @extend_schema(
        operation_id="assistant_expert_request_list",
        summary="Requests to the experts this account assists (default: waiting, nearest "
        "deadline first)",
        parameters=[OpenApiParameter("status", str, enum=ExpertRequest.Status.values)],
        tags=EXPERT_TAGS,
    )
    def get(self, request: Request) -> Response:
        expert_requests.expert_request_check_assistant(user=request.user)
        status = request.query_params.get("status", ExpertRequest.Status.WAITING)
        if status not in ExpertRequest.Status.values:
            return Response(
                {
                    "detail": "Invalid input.",
                    "code": "invalid",
                    "errors": {"status": [f"Choose one of {', '.join(ExpertRequest.Status)}."]},
                },
                status=400,
            )
        queryset = selectors.expert_request_queue_for_assistant(user=request.user, status=status)
        page = self.paginate_queryset(queryset)
        for patient_id in {r.patient_id for r in page or []}:
            access_log_record(
                actor=request.user,
                patient_id=patient_id,
                object_type="expert_request",
                object_id=None,
                action="list",
                detail="assistant queue",
            )
        return self.get_paginated_response(ExpertRequestOutput(page, many=True).data)


class AssistantRequestConfirmApi(APIView):
    @extend_schema(
        operation_id="assistant_expert_request_confirm",
        summary="Book one of the expert's free slots for the request (once: a second "
        "confirmation gets the same request back)",
        request=ExpertRequestConfirmInput,
        responses=ExpertRequestOutput,
        tags=EXPERT_TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.expert_request_get_for_assistant(user=request.user, request_id=pk)
        data = ExpertRequestConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        expert_requests.expert_request_confirm(
            assistant=request.user, request_id=pk, slot_id=data.validated_data["slot"]
        )
        found = selectors.expert_request_get_for_assistant(user=request.user, request_id=pk)
        return Response(ExpertRequestOutput(found).data)


class AssistantRequestDeclineApi(APIView):
    @extend_schema(
        operation_id="assistant_expert_request_decline",
        summary="Decline the request with a reason (the fee is refunded in full)",
        request=ExpertRequestDeclineInput,
        responses=ExpertRequestOutput,
        tags=EXPERT_TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.expert_request_get_for_assistant(user=request.user, request_id=pk)
        data = ExpertRequestDeclineInput(data=request.data)
        data.is_valid(raise_exception=True)
        expert_requests.expert_request_decline(
            assistant=request.user, request_id=pk, reason=data.validated_data["reason"]
        )
        found = selectors.expert_request_get_for_assistant(user=request.user, request_id=pk)
        return Response(ExpertRequestOutput(found).data)
