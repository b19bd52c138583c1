"""The payer's API for patients: their policies and what each still covers."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.rules import is_claims_officer
from core.api.pagination import PageNumberPagination
from core.api.schema import IDEMPOTENCY_HEADER
from core.idempotency import idempotent
from insurance import selectors, services
from insurance.adjudication import ClaimLine, ItemCategory
from insurance.api import serializers as s
from insurance.services.claims import LineDecision

TAGS = ["insurance"]


class PolicyListCreateApi(APIView):
    @extend_schema(
        operation_id="policy_list",
        summary="The insurance policies of the people this account acts for, social first",
        responses=s.PolicyOutput(many=True),
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            selectors.policy_list(account=request.user), request, view=self
        )
        return paginator.get_paginated_response(s.PolicyOutput(page, many=True).data)

    @extend_schema(
        operation_id="policy_create",
        summary="Register a patient's membership of a plan (409 if already registered)",
        request=s.PolicyCreateInput,
        responses={201: s.PolicyOutput},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = s.PolicyCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        policy = services.policy_add(
            account=request.user,
            patient_id=values["patient"],
            plan_code=values["plan"],
            member_number=values["member_number"],
            starts_on=values["starts_on"],
            ends_on=values["ends_on"],
        )
        policy = selectors.policy_get(account=request.user, policy_id=policy.pk)
        return Response(s.PolicyOutput(policy).data, status=201)


class PolicyEligibilityApi(APIView):
    @extend_schema(
        operation_id="policy_eligibility",
        summary="Whether the policy covers a date, and what is left of the year's deductible, "
        "cap and personal account",
        parameters=[
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH),
            s.EligibilityQuery,
        ],
        responses=s.EligibilityOutput,
        tags=TAGS,
    )
    def get(self, request: Request, id: int) -> Response:
        policy = selectors.policy_get(account=request.user, policy_id=id)
        query = s.EligibilityQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("on") or timezone.localdate()
        eligibility = selectors.policy_eligibility(policy=policy, on=on)
        return Response(s.EligibilityOutput(eligibility).data)


class IsClaimsOfficer(BasePermission):
    message = "Only claims officers work the review queue."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(is_claims_officer(request.user))


CLAIMS = ["claims"]
CLAIM_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _claim_lines(lines: list[dict[str, Any]]) -> tuple[list[ClaimLine], dict[str, str]]:
    claim_lines = [
        ClaimLine(
            ref=line["ref"],
            service_date=line["service_date"],
            category=ItemCategory(line["category"]),
            code=line["code"],
            billed=s.to_fen(line["amount"]),
            diagnoses=tuple(code.strip().upper() for code in line["diagnoses"]),
        )
        for line in lines
    ]
    return claim_lines, {line["ref"]: line["description"] for line in lines}


class ClaimListCreateApi(APIView):
    @extend_schema(
        operation_id="claim_list",
        summary="The claims filed by this account, newest first",
        responses=s.ClaimSummaryOutput(many=True),
        tags=CLAIMS,
    )
    def get(self, request: Request) -> Response:
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            selectors.claim_list_for_patient(account=request.user), request, view=self
        )
        return paginator.get_paginated_response(s.ClaimSummaryOutput(page, many=True).data)

    @extend_schema(
        operation_id="claim_create",
        summary="Claim reimbursement of an expense on one of your policies (409 if claimed)",
        description="The rules adjudicate it shortly after; some claims go to a claims officer.",
        request=s.ClaimCreateInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.ClaimDetailOutput},
        tags=CLAIMS,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = s.ClaimCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        lines, descriptions = _claim_lines(values["lines"])
        claim = services.claim_submit(
            account=request.user,
            policy_id=values["policy"],
            expense_reference=values["expense_reference"],
            lines=lines,
            descriptions=descriptions,
            is_outside_receipt=values["is_outside_receipt"],
        )
        claim = selectors.claim_get(user=request.user, claim_id=claim.pk)
        return Response(s.ClaimDetailOutput(claim).data, status=201)


class ClaimDetailApi(APIView):
    @extend_schema(
        operation_id="claim_retrieve",
        summary="One claim with each line's amounts and the reasons, in your language",
        parameters=[CLAIM_ID],
        responses=s.ClaimDetailOutput,
        tags=CLAIMS,
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(
            s.ClaimDetailOutput(selectors.claim_get(user=request.user, claim_id=id)).data
        )


class ClaimDocumentCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="claim_document_create",
        summary="Attach a receipt or report (PDF, JPEG or PNG, at most 10 MB) to a claim",
        parameters=[CLAIM_ID],
        request={"multipart/form-data": s.ClaimDocumentInput},
        responses={201: s.ClaimDocumentOutput},
        tags=CLAIMS,
    )
    def post(self, request: Request, id: int) -> Response:
        # Another patient's claim is a 404 whatever the upload.
        selectors.claim_get(user=request.user, claim_id=id)
        data = s.ClaimDocumentInput(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.claim_document_add(
            account=request.user, claim_id=id, upload=data.validated_data["file"]
        )
        return Response(s.ClaimDocumentOutput(document).data, status=201)


class ClaimTakeNextApi(APIView):
    permission_classes = [IsAuthenticated, IsClaimsOfficer]

    @extend_schema(
        operation_id="claim_take_next",
        summary="Take the next claim from the review queue (the one you hold first); "
        "204 when the queue is empty",
        request=None,
        responses={200: s.ClaimDetailOutput, 204: None},
        tags=CLAIMS,
    )
    def post(self, request: Request) -> Response:
        claim = services.claim_take_next(officer=request.user)
        if claim is None:
            return Response(status=204)
        claim = selectors.claim_get(user=request.user, claim_id=claim.pk)
        return Response(s.ClaimDetailOutput(claim).data)


class ClaimDecideApi(APIView):
    permission_classes = [IsAuthenticated, IsClaimsOfficer]

    @extend_schema(
        operation_id="claim_decide",
        summary="Decide every line of a claim you have taken: approve, adjust or deny",
        parameters=[CLAIM_ID],
        request=s.ClaimDecideInput,
        responses=s.ClaimDetailOutput,
        tags=CLAIMS,
    )
    def post(self, request: Request, id: int) -> Response:
        data = s.ClaimDecideInput(data=request.data)
        data.is_valid(raise_exception=True)
        decisions = [
            LineDecision(
                ref=line["ref"],
                decision=line["decision"],
                approved_fen=s.to_fen(line["amount"]) if line.get("amount") is not None else None,
                note=line["note"],
            )
            for line in data.validated_data["lines"]
        ]
        services.claim_decide(officer=request.user, claim_id=id, decisions=decisions)
        return Response(
            s.ClaimDetailOutput(selectors.claim_get(user=request.user, claim_id=id)).data
        )


SETTLEMENTS = ["insurance-settlements"]


class SettlementListApi(APIView):
    @extend_schema(
        operation_id="settlement_list",
        summary="The settlements of the people this account acts for, newest first",
        parameters=[s.SettlementQuery],
        responses=s.SettlementSummaryOutput(many=True),
        tags=SETTLEMENTS,
    )
    def get(self, request: Request) -> Response:
        query = s.SettlementQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        settlements = selectors.settlement_list_for_patient(account=request.user)
        if status := query.validated_data.get("status"):
            settlements = settlements.filter(status=status)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(settlements, request, view=self)
        response = paginator.get_paginated_response(s.SettlementSummaryOutput(page, many=True).data)
        response["Cache-Control"] = "private, no-store"
        return response


class SettlementDetailApi(APIView):
    @extend_schema(
        operation_id="settlement_retrieve",
        summary="One settlement with each line's split and the reasons, in your language",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses=s.SettlementDetailOutput,
        tags=SETTLEMENTS,
    )
    def get(self, request: Request, id: int) -> Response:
        settlement = selectors.settlement_get(account=request.user, settlement_id=id)
        response = Response(s.SettlementDetailOutput(settlement).data)
        response["Cache-Control"] = "private, no-store"
        return response
