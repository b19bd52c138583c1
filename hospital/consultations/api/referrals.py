"""Referral API (分诊转诊): partner departments, refer from a consultation, the letter, the
partner's clinic slots and booking one, the outcome recorded back."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import access_log_for_request, access_log_list
from hospital.booking.api import SlotOutput
from hospital.consultations import selectors
from hospital.consultations.api.serializers import DoctorBrief, PatientBrief
from hospital.consultations.models import PartnerHospital, Referral
from hospital.consultations.referral_letter import referral_letter_response
from hospital.consultations.services import referrals as services

TAGS = ["referrals"]


class PartnerDepartmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    hospital = serializers.CharField(source="hospital.name")
    hospital_level = serializers.ChoiceField(
        source="hospital.level", choices=PartnerHospital.Level.choices
    )
    city = serializers.CharField(source="hospital.city")
    address = serializers.CharField(source="hospital.address")
    phone = serializers.CharField()
    books_through_us = serializers.SerializerMethodField()

    def get_books_through_us(self, department: object) -> bool:
        """True when the department's clinic slots can be booked here."""
        return getattr(department, "clinic_doctor_id", None) is not None


class ReferralInput(serializers.Serializer):
    partner_department = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=2000)
    clinical_summary = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )


class ReferralBookInput(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1)


class ReferralOutcomeInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Referral.Outcome.choices)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ReferralListFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=Referral.Status.choices, required=False, default="")


class ReferralAppointmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    mode = serializers.CharField()


class PartnerReferralOutput(serializers.Serializer):
    id = serializers.IntegerField()
    letter_number = serializers.CharField()
    consultation = serializers.IntegerField(source="consultation_id")
    patient = PatientBrief()
    referring_doctor = DoctorBrief()
    partner_department = PartnerDepartmentOutput()
    reason = serializers.CharField()
    clinical_summary = serializers.CharField()
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    appointment = ReferralAppointmentOutput(allow_null=True)
    outcome = serializers.CharField()
    outcome_display = serializers.CharField(source="get_outcome_display")
    outcome_notes = serializers.CharField()
    outcome_recorded_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


def _detail(request: Request, referral_id: int, status: int = 200) -> Response:
    referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
    access_log_for_request(
        request,
        patient_id=referral.patient_id,
        object_type="referral",
        object_id=referral.pk,
        action="read",
    )
    return Response(PartnerReferralOutput(referral).data, status=status)


class PartnerDepartmentListApi(GenericAPIView):
    serializer_class = PartnerDepartmentOutput

    @extend_schema(
        operation_id="partner_department_list",
        summary="Partner hospital departments that take referrals",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.partner_departments_taking_referrals())
        return self.get_paginated_response(PartnerDepartmentOutput(page, many=True).data)


class ConsultationReferralCreateApi(APIView):
    @extend_schema(
        operation_id="consultation_referral_create",
        summary="Refer the patient to a partner hospital department (treating doctor)",
        request=ReferralInput,
        responses={201: PartnerReferralOutput},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.consultation_get_for_treating_doctor(user=request.user, consultation_id=pk)
        data = ReferralInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        referral = services.referral_create(
            doctor_user=request.user,
            consultation_id=pk,
            partner_department_id=v["partner_department"],
            reason=v["reason"],
            clinical_summary=v["clinical_summary"],
        )
        return _detail(request, referral.pk, status=201)


class ReferralListApi(GenericAPIView):
    serializer_class = PartnerReferralOutput

    @extend_schema(
        operation_id="referral_list",
        summary="Referrals of the patients this account acts for, or that this doctor handles",
        parameters=[OpenApiParameter("status", str, enum=Referral.Status.values)],
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = ReferralListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(
            selectors.referral_list_for_user(user=request.user, **filters.validated_data)
        )
        access_log_list(request, object_type="referral", detail=f"{len(page or [])} referrals")
        return self.get_paginated_response(PartnerReferralOutput(page, many=True).data)


class ReferralDetailApi(APIView):
    @extend_schema(operation_id="referral_retrieve", responses=PartnerReferralOutput, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        return _detail(request, pk)


class ReferralLetterApi(APIView):
    @extend_schema(
        operation_id="referral_letter_pdf",
        summary="The referral letter (转诊单) as a PDF",
        parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH)],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        referral = selectors.referral_get_for_user(user=request.user, referral_id=pk)
        return referral_letter_response(request, referral)


class ReferralSlotsApi(APIView):
    @extend_schema(
        operation_id="referral_slots",
        summary="The partner department's clinic slots that can be booked for this referral",
        responses=SlotOutput(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        referral = selectors.referral_get_for_user(user=request.user, referral_id=pk)
        slots = services.referral_free_slots(referral=referral)[:100]
        return Response(SlotOutput(slots, many=True).data)


class ReferralBookApi(APIView):
    @extend_schema(
        operation_id="referral_book",
        summary="Book one of the partner's clinic slots for the referral (patient's account)",
        request=ReferralBookInput,
        responses=PartnerReferralOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.referral_get_for_user(user=request.user, referral_id=pk)
        data = ReferralBookInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.referral_book(
            account=request.user, referral_id=pk, slot_id=data.validated_data["slot"]
        )
        return _detail(request, pk)


class ReferralOutcomeApi(APIView):
    @extend_schema(
        operation_id="referral_outcome",
        summary="Record the partner's outcome: seen, admitted or declined, with notes",
        request=ReferralOutcomeInput,
        responses=PartnerReferralOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.referral_get_for_user(user=request.user, referral_id=pk)
        data = ReferralOutcomeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.referral_record_outcome(
            actor=request.user,
            referral_id=pk,
            outcome=data.validated_data["outcome"],
            notes=data.validated_data["notes"],
        )
        return _detail(request, pk)


class ReferralCancelApi(APIView):
    @extend_schema(
        operation_id="referral_cancel",
        summary="Withdraw a referral no visit is booked for (referring doctor)",
        request=None,
        responses=PartnerReferralOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        services.referral_cancel(doctor_user=request.user, referral_id=pk)
        return _detail(request, pk)
