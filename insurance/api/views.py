"""The payer's API for patients: their policies and what each still covers."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import PageNumberPagination
from insurance import selectors, services
from insurance.api import serializers as s

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
