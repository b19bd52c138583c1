"""Pharmacist review and renewal API: one thin view per operation, own input/output serializers."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.rules import is_pharmacist
from audit.services import access_log_for_request
from hospital import selectors_review as selectors
from hospital.api.prescriptions import PrescriptionFindingOutput
from hospital.models import Prescription, RenewalRequest
from hospital.services import renewals as renewal_services
from hospital.services import review as review_services

TAGS = ["prescription review"]
RENEWAL_TAGS = ["renewals"]


class IsPharmacist(BasePermission):
    message = "Only pharmacists review prescriptions."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(is_pharmacist(request.user))


# --- serializers -------------------------------------------------------------------------------


class ReviewPatientBrief(serializers.Serializer):
    id = serializers.IntegerField()
    real_name = serializers.CharField()
    sex = serializers.CharField()
    age = serializers.IntegerField()


class ReviewDoctorBrief(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title_display = serializers.CharField(source="get_title_display")


class ReviewDrugBrief(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    generic_name_zh = serializers.CharField()
    generic_name_en = serializers.CharField()
    strength = serializers.CharField()
    dosage_form = serializers.CharField()


class ReviewItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    drug = ReviewDrugBrief()
    dose = serializers.DecimalField(max_digits=10, decimal_places=3)
    dose_unit = serializers.CharField()
    route = serializers.CharField()
    frequency = serializers.CharField()
    duration_days = serializers.IntegerField()
    quantity_packs = serializers.IntegerField()
    purchased_packs = serializers.IntegerField()
    instructions = serializers.CharField()


class ReviewLeaseOutput(serializers.Serializer):
    holder = serializers.IntegerField(source="review_lease_holder_id", allow_null=True)
    expires_at = serializers.DateTimeField(source="review_lease_expires_at", allow_null=True)


class ReviewDecisionOutput(serializers.Serializer):
    reviewed_by = serializers.IntegerField(source="reviewed_by_id", allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(source="review_decision_reason")
    comment = serializers.CharField(source="review_comment")


class ReviewQueueEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    risk_rank = serializers.IntegerField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    patient = ReviewPatientBrief()
    doctor = ReviewDoctorBrief()
    lease = ReviewLeaseOutput(source="*")


class PrescriptionReviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Prescription.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    patient = ReviewPatientBrief()
    doctor = ReviewDoctorBrief()
    consultation = serializers.IntegerField(source="consultation_id")
    diagnosis_codes = serializers.ListField(child=serializers.CharField())
    supply_days = serializers.IntegerField()
    long_term_reason = serializers.CharField()
    guardian_name = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    knowledge_version = serializers.CharField()
    risk_rank = serializers.IntegerField()
    items = ReviewItemOutput(many=True)
    findings = PrescriptionFindingOutput(many=True)
    lease = ReviewLeaseOutput(source="*")
    review = ReviewDecisionOutput(source="*")


class ApproveInput(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=Prescription.ReviewReason.choices, required=False, allow_blank=True, default=""
    )
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RejectInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Prescription.ReviewReason.choices)
    comment = serializers.CharField(max_length=2000)


class RenewalRequestInput(serializers.Serializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class RenewalDeclineInput(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class RenewalListFilters(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=RenewalRequest.Status.choices, required=False, allow_blank=True, default=""
    )


class RenewalPrescriptionBrief(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Prescription.Status.choices)
    diagnosis_codes = serializers.ListField(child=serializers.CharField())
    supply_days = serializers.IntegerField()
    valid_until = serializers.DateField(allow_null=True)
    doctor = ReviewDoctorBrief()


class RenewalRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RenewalRequest.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    prescription = RenewalPrescriptionBrief()
    patient = ReviewPatientBrief()
    note = serializers.CharField()
    decline_reason = serializers.CharField()
    follow_up_consultation = serializers.IntegerField(
        source="follow_up_consultation_id", allow_null=True
    )
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


# --- views -------------------------------------------------------------------------------------


def _review_response(request: Request, prescription_id: int) -> Response:
    prescription = selectors.review_prescription_get(
        pharmacist=request.user, prescription_id=prescription_id
    )
    return Response(PrescriptionReviewOutput(prescription).data)


class ReviewQueueApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsPharmacist]
    serializer_class = ReviewQueueEntryOutput

    @extend_schema(
        operation_id="review_queue_list",
        summary="Prescriptions waiting for review, riskiest then longest-waiting first",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.review_queue())
        return self.get_paginated_response(ReviewQueueEntryOutput(page, many=True).data)


class ReviewQueueNextApi(APIView):
    permission_classes = [IsAuthenticated, IsPharmacist]

    @extend_schema(
        operation_id="review_queue_next",
        summary="Take the next prescription to review (leased to you for 10 minutes)",
        description=(
            "Returns the prescription you already hold if your lease is still live; otherwise "
            "leases the riskiest, then longest-waiting, prescription nobody holds. 204 when "
            "nothing waits."
        ),
        request=None,
        responses={
            200: PrescriptionReviewOutput,
            204: OpenApiResponse(description="Nothing is waiting for review"),
        },
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        prescription = review_services.review_queue_next(pharmacist=request.user)
        if prescription is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return _review_response(request, prescription.pk)


class PrescriptionApproveApi(APIView):
    permission_classes = [IsAuthenticated, IsPharmacist]

    @extend_schema(
        operation_id="prescription_approve",
        summary="Approve a prescription: it takes effect now (idempotent)",
        request=ApproveInput,
        responses=PrescriptionReviewOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = ApproveInput(data=request.data)
        data.is_valid(raise_exception=True)
        review_services.prescription_approve(
            pharmacist=request.user, prescription_id=pk, **data.validated_data
        )
        return _review_response(request, pk)


class PrescriptionRejectApi(APIView):
    permission_classes = [IsAuthenticated, IsPharmacist]

    @extend_schema(
        operation_id="prescription_reject",
        summary="Reject a prescription with a structured reason and a comment (idempotent)",
        request=RejectInput,
        responses=PrescriptionReviewOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = RejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        review_services.prescription_reject(
            pharmacist=request.user, prescription_id=pk, **data.validated_data
        )
        return _review_response(request, pk)


class PrescriptionReviewLeaseReleaseApi(APIView):
    permission_classes = [IsAuthenticated, IsPharmacist]

    @extend_schema(
        operation_id="prescription_review_release",
        summary="Hand a prescription you hold back to the review queue",
        request=None,
        responses=PrescriptionReviewOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        review_services.review_lease_release(pharmacist=request.user, prescription_id=pk)
        return _review_response(request, pk)


def _renewal_response(request: Request, renewal_id: int, code: int = 200) -> Response:
    renewal = selectors.renewal_request_list(user=request.user).filter(pk=renewal_id).get()
    return Response(RenewalRequestOutput(renewal).data, status=code)


class PrescriptionRenewalRequestApi(APIView):
    @extend_schema(
        operation_id="prescription_renewal_request",
        summary="Ask the prescribing doctor to renew a chronic prescription (续方)",
        description=(
            "For an approved or expired prescription of a long-term condition. While a request "
            "waits, asking again returns it (200). The doctor opens a follow-up consultation "
            "or declines with a reason; no prescription is created automatically."
        ),
        request=RenewalRequestInput,
        responses={201: RenewalRequestOutput, 200: RenewalRequestOutput},
        tags=RENEWAL_TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = RenewalRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        renewal, created = renewal_services.renewal_request_create(
            account=request.user, prescription_id=pk, note=data.validated_data["note"]
        )
        return _renewal_response(request, renewal.pk, 201 if created else 200)


class RenewalRequestListApi(GenericAPIView):
    serializer_class = RenewalRequestOutput

    @extend_schema(
        operation_id="renewal_request_list",
        summary="Renewal requests: a doctor's queue, or the ones this account made",
        parameters=[OpenApiParameter("status", str, enum=RenewalRequest.Status.values)],
        tags=RENEWAL_TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = RenewalListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(
            selectors.renewal_request_list(user=request.user, **filters.validated_data)
        )
        access_log_for_request(
            request,
            patient_id=None,
            object_type="renewal_request",
            object_id=None,
            action="list",
            detail=f"{len(page or [])} renewal requests",
        )
        return self.get_paginated_response(RenewalRequestOutput(page, many=True).data)


class RenewalRequestAcceptApi(APIView):
    @extend_schema(
        operation_id="renewal_request_accept",
        summary="Open a follow-up consultation for the renewal (prescribing doctor)",
        request=None,
        responses=RenewalRequestOutput,
        tags=RENEWAL_TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        renewal_services.renewal_request_accept(doctor_user=request.user, renewal_request_id=pk)
        return _renewal_response(request, pk)


class RenewalRequestDeclineApi(APIView):
    @extend_schema(
        operation_id="renewal_request_decline",
        summary="Decline the renewal with a reason the patient reads (prescribing doctor)",
        request=RenewalDeclineInput,
        responses=RenewalRequestOutput,
        tags=RENEWAL_TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = RenewalDeclineInput(data=request.data)
        data.is_valid(raise_exception=True)
        renewal_services.renewal_request_decline(
            doctor_user=request.user, renewal_request_id=pk, reason=data.validated_data["reason"]
        )
        return _renewal_response(request, pk)


urlpatterns = [
    path("review-queue/", ReviewQueueApi.as_view(), name="review-queue"),
    path("review-queue/next/", ReviewQueueNextApi.as_view(), name="review-queue-next"),
    path(
        "prescriptions/<int:pk>/approve/",
        PrescriptionApproveApi.as_view(),
        name="prescription-approve",
    ),
    path(
        "prescriptions/<int:pk>/reject/",
        PrescriptionRejectApi.as_view(),
        name="prescription-reject",
    ),
    path(
        "prescriptions/<int:pk>/review-release/",
        PrescriptionReviewLeaseReleaseApi.as_view(),
        name="prescription-review-release",
    ),
    path(
        "prescriptions/<int:pk>/renewal-requests/",
        PrescriptionRenewalRequestApi.as_view(),
        name="prescription-renewal-request",
    ),
    path("renewal-requests/", RenewalRequestListApi.as_view(), name="renewal-request-list"),
    path(
        "renewal-requests/<int:pk>/accept/",
        RenewalRequestAcceptApi.as_view(),
        name="renewal-request-accept",
    ),
    path(
        "renewal-requests/<int:pk>/decline/",
        RenewalRequestDeclineApi.as_view(),
        name="renewal-request-decline",
    ),
]
