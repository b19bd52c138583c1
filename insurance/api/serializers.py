from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from insurance.models import Plan, Policy
from insurance.reasons import yuan


class PolicyCreateInput(serializers.Serializer):
    patient = serializers.IntegerField(help_text="One of this account's patient profiles.")
    plan = serializers.SlugField(help_text="The plan's code, e.g. an employee scheme.")
    member_number = serializers.CharField(max_length=40)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)


class EligibilityQuery(serializers.Serializer):
    on = serializers.DateField(required=False, help_text="Default: today.")


class PlanOutput(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__")
    payer = serializers.CharField(source="payer.__str__")
    payer_kind = serializers.CharField(source="payer.kind")

    class Meta:
        model = Plan
        fields = ["code", "name", "scheme", "payer", "payer_kind"]


class PolicyOutput(serializers.ModelSerializer):
    plan = PlanOutput()
    patient = serializers.IntegerField(source="patient_id")

    class Meta:
        model = Policy
        fields = [
            "id",
            "patient",
            "plan",
            "member_number",
            "starts_on",
            "ends_on",
            "status",
            "priority",
        ]


@extend_schema_field(OpenApiTypes.DECIMAL)
class Yuan(serializers.Field):
    """Amounts are kept in fen and shown as a yuan string with two decimals."""

    def to_representation(self, value: int) -> str:
        return yuan(value)


class EligibilityOutput(serializers.Serializer):
    policy = serializers.IntegerField(source="policy.pk")
    on = serializers.DateField()
    is_active = serializers.BooleanField()
    reason = serializers.CharField()
    plan_version = serializers.DateField(source="version.effective_from", allow_null=True)
    benefits_source = serializers.CharField(source="version.source", allow_null=True)
    deductible_remaining = Yuan(source="deductible_remaining_fen")
    cap_remaining = Yuan(source="cap_remaining_fen")
    chronic_cap_remaining = Yuan(source="chronic_cap_remaining_fen")
    account_balance = Yuan(source="account_balance_fen")
