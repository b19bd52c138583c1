"""Formulary search and the doctor's side of e-prescriptions: one thin view per operation."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.mfa import second_factor_verified_at
from accounts.rules import is_pharmacist
from audit.services import access_log_for_request, access_log_list
from hospital.consultations.selectors import consultation_get_for_user
from hospital.prescriptions import selectors
from hospital.prescriptions.api.serializers import (
    ApproveInput,
    BlockedOutput,
    FindingInterventionInput,
    FormularyDrugOutput,
    FormularySearchInput,
    PrescriptionCheckOutput,
    PrescriptionExtendInput,
    PrescriptionFindingOutput,
    PrescriptionInput,
    PrescriptionListFilters,
    PrescriptionOutput,
    PrescriptionPatchInput,
    PrescriptionReviewOutput,
    PrescriptionSignInput,
    PrescriptionVerifyOutput,
    PrescriptionVersionOutput,
    RejectInput,
    RenewalDeclineInput,
    RenewalListFilters,
    RenewalRequestInput,
    RenewalRequestOutput,
    ReviewQueueEntryOutput,
)
from hospital.prescriptions.models import Prescription, RenewalRequest
from hospital.prescriptions.pdf import prescription_pdf_response
from hospital.prescriptions.services import interventions as intervention_services
from hospital.prescriptions.services import prescribing, signing
from hospital.prescriptions.services import renewals as renewal_services
from hospital.prescriptions.services import review as review_services
from hospital.prescriptions.signature import prescription_signature_check

TAGS = ["prescriptions"]


def _content(data: dict[str, Any]) -> prescribing.PrescriptionContent:
    return prescribing.PrescriptionContent(
        items=[prescribing.ItemInput(**item) for item in data["items"]],
        diagnosis_codes=data["diagnosis_codes"],
        long_term_reason=data.get("long_term_reason", ""),
        guardian_name=data.get("guardian_name", ""),
    )


def _detail(request: Request, prescription_id: int, *, status: int = 200) -> Response:
    prescription = selectors.prescription_get_for_user(
        user=request.user, prescription_id=prescription_id
    )
    return Response(PrescriptionOutput(prescription).data, status=status)


def _log(request: Request, prescription: Prescription, action: str, detail: str = "") -> None:
    access_log_for_request(
        request,
        patient_id=prescription.patient_id,
        object_type="prescription",
        object_id=prescription.pk,
        action=action,
        detail=detail,
    )


class FormularyDrugListApi(GenericAPIView):
    serializer_class = FormularyDrugOutput

    @extend_schema(
        operation_id="formulary_drug_list",
        summary="Search the formulary (Chinese or English name, ingredient, code, ATC prefix)",
        description="Drugs of a forbidden control class (narcotic, psychotropic …) are never "
        "listed: they cannot be prescribed online.",
        parameters=[OpenApiParameter("q", str)],
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = FormularySearchInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.formulary_search(q=filters.validated_data["q"]))
        return self.get_paginated_response(FormularyDrugOutput(page, many=True).data)


class ConsultationPrescriptionCreateApi(APIView):
    @extend_schema(
        operation_id="consultation_prescription_create",
        summary="Draft a prescription in this consultation (treating doctor only)",
        request=PrescriptionInput,
        responses={201: PrescriptionOutput},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        # A consultation the doctor takes no part in is a 404 whatever the body says.
        consultation_get_for_user(user=request.user, consultation_id=pk, with_diagnoses=False)
        data = PrescriptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        prescription = prescribing.prescription_create(
            doctor_user=request.user, consultation_id=pk, content=_content(data.validated_data)
        )
        return _detail(request, prescription.pk, status=201)


class PrescriptionListApi(GenericAPIView):
    serializer_class = PrescriptionOutput

    @extend_schema(
        operation_id="prescription_list",
        summary="The doctor's own prescriptions, or those of the patients this account acts for",
        parameters=[OpenApiParameter("status", str, enum=Prescription.Status.values)],
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = PrescriptionListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.prescription_list_for_user(
            user=request.user, status=filters.validated_data.get("status", "")
        )
        page = self.paginate_queryset(queryset) or []
        access_log_list(request, object_type="prescription", detail=f"{len(page)} prescriptions")
        return self.get_paginated_response(PrescriptionOutput(page, many=True).data)


class PrescriptionDetailApi(APIView):
    @extend_schema(operation_id="prescription_retrieve", responses=PrescriptionOutput, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        prescription = selectors.prescription_get_for_user(user=request.user, prescription_id=pk)
        data = PrescriptionOutput(prescription).data
        _log(request, prescription, "read")
        return Response(data)

    @extend_schema(
        operation_id="prescription_update",
        summary="Change a draft (its doctor only); the content is checked again",
        request=PrescriptionPatchInput,
        responses=PrescriptionOutput,
        tags=TAGS,
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = PrescriptionPatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        prescribing.prescription_update(
            doctor_user=request.user,
            prescription_id=pk,
            items=[prescribing.ItemInput(**i) for i in v["items"]] if "items" in v else None,
            diagnosis_codes=v.get("diagnosis_codes"),
            long_term_reason=v.get("long_term_reason"),
            guardian_name=v.get("guardian_name"),
        )
        return _detail(request, pk)


class PrescriptionCheckApi(APIView):
    @extend_schema(
        operation_id="prescription_check",
        summary="Run decision support on the draft again (no signing)",
        request=None,
        responses={
            200: PrescriptionCheckOutput,
            503: OpenApiResponse(description="knowledge unavailable"),
        },
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        result = prescribing.prescription_check(doctor_user=request.user, prescription_id=pk)
        prescription = selectors.prescription_get_for_user(user=request.user, prescription_id=pk)
        return Response(
            PrescriptionCheckOutput(
                {
                    "available": result.available,
                    "knowledge_version": result.knowledge_version,
                    "risk_rank": prescription.risk_rank,
                    "findings": list(prescription.findings.all()),
                }
            ).data
        )


class PrescriptionSignApi(APIView):
    @extend_schema(
        operation_id="prescription_sign",
        summary="Sign the draft (treating doctor, with a second factor) and send it for review",
        description="Give `totp_code` from the authenticator app, unless this session (the "
        "app's X-Session-Token or the browser's) passed a second factor within the last 5 "
        "minutes. A code sent with a signing that is then refused (a finding, a rule) stays "
        "usable for the retry; it is used up once the prescription is signed. A contraindicated "
        "finding refuses signing "
        "(409 with the findings); each major finding needs a reason in `override_reasons`, "
        "keyed by its `rule_id`. 503 when decision support cannot run.",
        request=PrescriptionSignInput,
        responses={
            200: PrescriptionOutput,
            409: BlockedOutput,
            503: OpenApiResponse(description="decision support unavailable"),
        },
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = PrescriptionSignInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            signing.prescription_sign(
                doctor_user=request.user,
                prescription_id=pk,
                totp_code=data.validated_data["totp_code"],
                mfa_verified_at=second_factor_verified_at(request),
                override_reasons=data.validated_data["override_reasons"],
            )
        except prescribing.PrescriptionBlocked as blocked:
            return Response(
                {
                    "detail": blocked.message,
                    "code": blocked.code,
                    "findings": PrescriptionFindingOutput(blocked.findings, many=True).data,
                },
                status=409,
            )
        return _detail(request, pk)


class PrescriptionExtendApi(APIView):
    @extend_schema(
        operation_id="prescription_extend",
        summary="Extend a signed prescription's validity (at most 3 days from issue)",
        request=PrescriptionExtendInput,
        responses=PrescriptionOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.prescription_get_for_user(user=request.user, prescription_id=pk)
        data = PrescriptionExtendInput(data=request.data)
        data.is_valid(raise_exception=True)
        signing.prescription_extend(
            doctor_user=request.user,
            prescription_id=pk,
            valid_until=data.validated_data["valid_until"],
            totp_code=data.validated_data["totp_code"],
            mfa_verified_at=second_factor_verified_at(request),
        )
        return _detail(request, pk)


class PrescriptionReviseApi(APIView):
    @extend_schema(
        operation_id="prescription_revise",
        summary="Revise a rejected prescription into a new draft version",
        request=None,
        responses={201: PrescriptionOutput},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        revision = signing.prescription_revise(doctor_user=request.user, prescription_id=pk)
        return _detail(request, revision.pk, status=201)


class PrescriptionVersionsApi(APIView):
    @extend_schema(
        operation_id="prescription_versions",
        summary="Every version of this prescription, oldest first",
        responses=PrescriptionVersionOutput(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        prescription = selectors.prescription_get_for_user(user=request.user, prescription_id=pk)
        versions = [
            v
            for v in selectors.prescription_versions(prescription=prescription)
            if v.pk == prescription.pk
            or v.status not in selectors.UNSIGNED_STATUSES
            or prescription.doctor.user_id == request.user.pk
        ]
        return Response(PrescriptionVersionOutput(versions, many=True).data)


class PrescriptionVerifyApi(APIView):
    @extend_schema(
        operation_id="prescription_verify",
        summary="Whether the prescription's signature still matches its content",
        responses=PrescriptionVerifyOutput,
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        prescription = selectors.prescription_get_for_user(user=request.user, prescription_id=pk)
        check = prescription_signature_check(prescription)
        _log(request, prescription, "read", f"signature {'valid' if check.valid else 'INVALID'}")
        return Response(
            PrescriptionVerifyOutput(
                {
                    "id": prescription.pk,
                    "signed": check.signed,
                    "valid": check.valid,
                    "status": prescription.status,
                    "version": prescription.version,
                    "doctor": prescription.doctor.name,
                    "signed_at": prescription.signed_at,
                    "issued_on": prescription.issued_on,
                    "valid_until": prescription.valid_until,
                }
            ).data
        )


class PrescriptionPdfApi(APIView):
    @extend_schema(
        operation_id="prescription_pdf",
        summary="The prescription as a PDF (处方笺)",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Any:
        prescription = selectors.prescription_get_for_user(user=request.user, prescription_id=pk)
        return prescription_pdf_response(request, prescription)


TAGS = ["prescription review"]

RENEWAL_TAGS = ["renewals"]


class IsPharmacist(BasePermission):
    message = "Only pharmacists review prescriptions."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(is_pharmacist(request.user))


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


class FindingInterventionApi(APIView):
    permission_classes = [IsAuthenticated, IsPharmacist]

    @extend_schema(
        operation_id="finding_intervention_record",
        summary="Record the pharmacist's answer to one finding: accepted, rejected or changed",
        description=(
            "`accepted`: the warning stands and was acted on; `rejected`: it does not apply to "
            "this patient; `changed`: dose, drug or monitoring changed with the prescriber. A "
            "note is required for rejected and changed. Sending the same answer again changes "
            "nothing; the pharmacist who answered may correct it."
        ),
        request=FindingInterventionInput,
        responses=PrescriptionReviewOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int, finding_id: int) -> Response:
        data = FindingInterventionInput(data=request.data)
        data.is_valid(raise_exception=True)
        intervention_services.finding_intervention_record(
            pharmacist=request.user,
            prescription_id=pk,
            finding_id=finding_id,
            **data.validated_data,
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
    renewal = selectors.renewal_request_get(user=request.user, renewal_request_id=renewal_id)
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
        access_log_list(
            request, object_type="renewal_request", detail=f"{len(page or [])} renewal requests"
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
        # Another doctor's renewal request is a 404 whatever the body says.
        selectors.renewal_request_get(user=request.user, renewal_request_id=pk)
        data = RenewalDeclineInput(data=request.data)
        data.is_valid(raise_exception=True)
        renewal_services.renewal_request_decline(
            doctor_user=request.user, renewal_request_id=pk, reason=data.validated_data["reason"]
        )
        return _renewal_response(request, pk)
