"""House-call API: the patient requests, pays, tracks and cancels; operators triage and dispatch;
the visiting doctor accepts, sets out, arrives and completes with the visit's notes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import access_log_list, access_log_record
from core.api.serializers import ModelOutputSerializer
from core.idempotency import idempotent
from hospital.doctors import selectors as doctor_selectors
from hospital.doctors.models import DoctorProfile
from hospital.housecalls import selectors, services
from hospital.housecalls.models import HouseCall, HouseCallEvent, ServiceArea
from hospital.housecalls.rules import figure

TAGS = ["care services"]


class ServiceAreaOutput(ModelOutputSerializer):
    city = serializers.CharField(source="city.name")
    district = serializers.CharField()
    departments = serializers.SerializerMethodField()

    class Meta:
        model = ServiceArea
        fields = ["id", "city", "district", "opens_at", "closes_at", "fee", "departments"]

    def get_departments(self, area: ServiceArea) -> list[int]:
        return [department.pk for department in area.city.departments.all()]


class HouseCallRequestInput(serializers.Serializer):
    patient = serializers.IntegerField(min_value=1)
    department = serializers.IntegerField(min_value=1)
    city = serializers.CharField(max_length=40)
    district = serializers.CharField(max_length=60)
    address = serializers.CharField(max_length=200)
    contact_phone = serializers.CharField(max_length=20)
    symptoms = serializers.CharField(max_length=1000)


class HouseCallCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class HouseCallTriageInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=HouseCall.TriageOutcome.choices)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class HouseCallDispatchInput(serializers.Serializer):
    eta_minutes = serializers.IntegerField(
        min_value=figure("ETA_MINUTES_MIN"), max_value=figure("ETA_MINUTES_MAX")
    )
    doctor = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Offer to this doctor only; without it, to every available doctor of the "
        "department (the first to accept takes it).",
    )


class HouseCallSetOutInput(serializers.Serializer):
    eta_minutes = serializers.IntegerField(
        min_value=figure("ETA_MINUTES_MIN"),
        max_value=figure("ETA_MINUTES_MAX"),
        required=False,
        help_text="A new ETA when the one given at dispatch no longer holds.",
    )


class HouseCallCompleteInput(serializers.Serializer):
    notes = serializers.CharField(max_length=5000)
    advice = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    diagnosis_codes = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False, default=list, max_length=10
    )


class HouseCallEventOutput(ModelOutputSerializer):
    class Meta:
        model = HouseCallEvent
        fields = ["from_status", "to_status", "note", "created_at"]


class HouseCallDoctorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField(source="get_title_display")


class HouseCallDiagnosisOutput(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField()


class HouseCallOutput(ModelOutputSerializer):
    patient_name = serializers.CharField(source="patient.real_name")
    city = serializers.CharField(source="area.city.name")
    district = serializers.CharField(source="area.district")
    department_name = serializers.CharField(source="department.name")
    doctor = HouseCallDoctorOutput(allow_null=True)
    diagnoses = HouseCallDiagnosisOutput(many=True)
    payment_status = serializers.CharField(source="payment.status", default=None)
    payment_token = serializers.UUIDField(source="payment.token", default=None)

    class Meta:
        model = HouseCall
        fields = [
            "id",
            "status",
            "patient",
            "patient_name",
            "department",
            "department_name",
            "city",
            "district",
            "address",
            "contact_phone",
            "symptoms",
            "fee",
            "payment_status",
            "payment_token",
            "hold_expires_at",
            "triage_outcome",
            "triaged_at",
            "doctor",
            "eta",
            "dispatched_at",
            "accepted_at",
            "departed_at",
            "arrived_at",
            "completed_at",
            "notes",
            "advice",
            "diagnoses",
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
            "refund_amount",
            "created_at",
        ]


class HouseCallDetailOutput(HouseCallOutput):
    events = HouseCallEventOutput(many=True)

    class Meta(HouseCallOutput.Meta):
        fields = [*HouseCallOutput.Meta.fields, "events"]


class HouseCallPaymentOutput(serializers.Serializer):
    house_call = HouseCallOutput()
    redirect_url = serializers.CharField(help_text="Send the payer here to pay.")


def _log_read(request: Request, house_call: HouseCall, detail: str = "") -> None:
    access_log_record(
        actor=request.user,
        patient_id=house_call.patient_id,
        object_type="house_call",
        object_id=house_call.pk,
        action="read",
        detail=detail,
    )


def _doctor(request: Request) -> DoctorProfile:
    doctor = doctor_selectors.doctor_profile_for_user(user=request.user)
    if doctor is None:
        raise PermissionDenied(_("Only doctors can do this."))
    return doctor


class ServiceAreaListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="house_call_area_list",
        summary="Where and when house calls are made, the fee, and the departments offered",
        responses=ServiceAreaOutput(many=True),
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        areas = selectors.service_area_list().prefetch_related("city__departments")
        return Response(ServiceAreaOutput(areas, many=True).data)


class HouseCallListCreateApi(GenericAPIView):
    serializer_class = HouseCallOutput

    @extend_schema(
        operation_id="house_call_list",
        summary="The account's house calls (for all the patients it acts for)",
        parameters=[OpenApiParameter("status", str, enum=HouseCall.Status.values)],
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.house_call_list_for_account(
            account=request.user, status=request.query_params.get("status", "")
        )
        page = self.paginate_queryset(queryset)
        access_log_list(request, object_type="house_call", detail=f"{len(page or [])} house calls")
        return self.get_paginated_response(HouseCallOutput(page, many=True).data)

    @extend_schema(
        operation_id="house_call_create",
        summary="Request a house call at an address inside a service area (400 outside one)",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        request=HouseCallRequestInput,
        responses={201: HouseCallOutput},
        tags=TAGS,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = HouseCallRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        house_call = services.house_call_request(
            account=request.user,
            patient_id=v["patient"],
            department_id=v["department"],
            city=v["city"],
            district=v["district"],
            address=v["address"],
            contact_phone=v["contact_phone"],
            symptoms=v["symptoms"],
        )
        house_call = selectors.house_call_get_for_account(
            account=request.user, house_call_id=house_call.pk
        )
        return Response(HouseCallOutput(house_call).data, status=201)


class HouseCallDetailApi(APIView):
    @extend_schema(
        operation_id="house_call_retrieve",
        summary="A house call and its tracking timeline",
        responses=HouseCallDetailOutput,
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        house_call = selectors.house_call_get_for_account(account=request.user, house_call_id=pk)
        _log_read(request, house_call)
        return Response(HouseCallDetailOutput(house_call).data)


class HouseCallPayApi(APIView):
    @extend_schema(
        operation_id="house_call_pay",
        summary="Start paying the visit fee; returns where to send the payer",
        request=None,
        responses=HouseCallPaymentOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        started = services.house_call_pay(account=request.user, house_call_id=pk)
        house_call = selectors.house_call_get_for_account(account=request.user, house_call_id=pk)
        return Response(
            HouseCallPaymentOutput(
                {"house_call": house_call, "redirect_url": started.redirect_url}
            ).data
        )


class HouseCallCancelApi(APIView):
    @extend_schema(
        operation_id="house_call_cancel",
        summary="Cancel with a reason (patient: refund by how far the visit got; doctor or "
        "operator: full refund)",
        request=HouseCallCancelInput,
        responses=HouseCallOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        services.house_call_check_party(user=request.user, house_call_id=pk)
        data = HouseCallCancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        house_call = services.house_call_cancel(
            actor=request.user, house_call_id=pk, reason=data.validated_data["reason"]
        )
        return Response(HouseCallOutput(house_call).data)


class HouseCallTriageApi(APIView):
    @extend_schema(
        operation_id="house_call_triage",
        summary="Record the phone triage (operators and triage nurses)",
        request=HouseCallTriageInput,
        responses=HouseCallOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        services.house_call_check_for_staff(user=request.user, house_call_id=pk)
        data = HouseCallTriageInput(data=request.data)
        data.is_valid(raise_exception=True)
        house_call = services.house_call_triage(
            actor=request.user, house_call_id=pk, **data.validated_data
        )
        return Response(HouseCallOutput(house_call).data)


class HouseCallDispatchApi(APIView):
    @extend_schema(
        operation_id="house_call_dispatch",
        summary="Offer a triaged house call to the department's available doctors with an ETA",
        request=HouseCallDispatchInput,
        responses=HouseCallOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        services.house_call_check_for_staff(user=request.user, house_call_id=pk)
        data = HouseCallDispatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        house_call = services.house_call_dispatch(
            actor=request.user,
            house_call_id=pk,
            eta_minutes=data.validated_data["eta_minutes"],
            doctor_id=data.validated_data.get("doctor"),
        )
        return Response(HouseCallOutput(house_call).data)


class DoctorHouseCallListApi(GenericAPIView):
    serializer_class = HouseCallOutput

    @extend_schema(
        operation_id="doctor_house_call_list",
        summary="The doctor's house calls: offers open to them and the visits they took",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        doctor = _doctor(request)
        page = self.paginate_queryset(selectors.house_call_list_for_doctor(doctor=doctor))
        access_log_list(
            request, object_type="house_call", detail=f"doctor's house calls: {len(page or [])}"
        )
        return self.get_paginated_response(HouseCallOutput(page, many=True).data)


def _doctor_view(request: Request, house_call: HouseCall) -> Response:
    doctor = _doctor(request)
    house_call = selectors.house_call_get_for_doctor(doctor=doctor, house_call_id=house_call.pk)
    return Response(HouseCallOutput(house_call).data)


class HouseCallAcceptApi(APIView):
    @extend_schema(
        operation_id="house_call_accept",
        summary="Take an offered house call (the first doctor wins; the others get 409)",
        request=None,
        responses=HouseCallOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        _doctor(request)
        house_call = services.house_call_accept(doctor_user=request.user, house_call_id=pk)
        return _doctor_view(request, house_call)


class HouseCallSetOutApi(APIView):
    @extend_schema(
        operation_id="house_call_on_the_way",
        summary="The visiting doctor is on the way",
        request=HouseCallSetOutInput,
        responses=HouseCallOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.house_call_check_for_doctor(doctor=_doctor(request), house_call_id=pk)
        data = HouseCallSetOutInput(data=request.data)
        data.is_valid(raise_exception=True)
        house_call = services.house_call_set_out(
            doctor_user=request.user,
            house_call_id=pk,
            eta_minutes=data.validated_data.get("eta_minutes"),
        )
        return _doctor_view(request, house_call)


class HouseCallArriveApi(APIView):
    @extend_schema(
        operation_id="house_call_arrived",
        summary="The visiting doctor is at the door",
        request=None,
        responses=HouseCallOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        _doctor(request)
        house_call = services.house_call_arrive(doctor_user=request.user, house_call_id=pk)
        return _doctor_view(request, house_call)


class HouseCallCompleteApi(APIView):
    @extend_schema(
        operation_id="house_call_complete",
        summary="Complete the visit with its notes, advice and ICD-10 diagnoses (into the record)",
        request=HouseCallCompleteInput,
        responses=HouseCallOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.house_call_check_for_doctor(doctor=_doctor(request), house_call_id=pk)
        data = HouseCallCompleteInput(data=request.data)
        data.is_valid(raise_exception=True)
        house_call = services.house_call_complete(
            doctor_user=request.user, house_call_id=pk, **data.validated_data
        )
        return _doctor_view(request, house_call)
