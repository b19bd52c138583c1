from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from insurance.models import (
    Category,
    Claim,
    ClaimDocument,
    Plan,
    Policy,
    Settlement,
    SettlementLine,
)
from insurance.models import ClaimLine as ClaimLineModel
from insurance.reasons import reason_sentence, yuan


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


MAX_LINES = 50


def _at_most(lines: list[Any], count: int) -> list[Any]:
    if len(lines) > count:
        raise serializers.ValidationError(f"At most {count} lines.")
    return lines


def to_fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


class ClaimLineInput(serializers.Serializer):
    ref = serializers.CharField(max_length=80)
    service_date = serializers.DateField()
    category = serializers.ChoiceField(choices=Category.choices)
    code = serializers.CharField(max_length=60)
    description = serializers.CharField(max_length=200, required=False, default="")
    diagnoses = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False, default=list, max_length=10
    )
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0.01"), help_text="Yuan billed."
    )


class ClaimCreateInput(serializers.Serializer):
    policy = serializers.IntegerField()
    expense_reference = serializers.CharField(max_length=80)
    is_outside_receipt = serializers.BooleanField(required=False, default=False)
    lines = ClaimLineInput(many=True, allow_empty=False)

    def validate_lines(self, lines: list[Any]) -> list[Any]:
        return _at_most(lines, MAX_LINES)


class ClaimDocumentInput(serializers.Serializer):
    file = serializers.FileField()


class LineDecisionInput(serializers.Serializer):
    ref = serializers.CharField(max_length=80)
    decision = serializers.ChoiceField(choices=["approve", "adjust", "deny"])
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0"), required=False
    )
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class ClaimDecideInput(serializers.Serializer):
    lines = LineDecisionInput(many=True, allow_empty=False)

    def validate_lines(self, lines: list[Any]) -> list[Any]:
        return _at_most(lines, MAX_LINES)


class ReasonOutput(serializers.Serializer):
    code = serializers.CharField()
    amount = Yuan()
    text = serializers.CharField(help_text="In the reader's language.")


def reasons_output(pairs: list[list[Any]]) -> list[dict[str, Any]]:
    return [
        {"code": code, "amount": amount, "text": reason_sentence(code, amount)}
        for code, amount in pairs
    ]


class ClaimLineOutput(serializers.ModelSerializer):
    billed = Yuan(source="billed_fen")
    proposed = Yuan(source="proposed_fen")
    approved = Yuan(source="approved_fen")
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = ClaimLineModel
        fields = [
            "ref",
            "service_date",
            "category",
            "code",
            "description",
            "diagnoses",
            "billed",
            "proposed",
            "approved",
            "decision",
            "decision_note",
            "reasons",
        ]

    @extend_schema_field(ReasonOutput(many=True))
    def get_reasons(self, line: ClaimLineModel) -> list[dict[str, Any]]:
        return reasons_output(line.reasons)


class ClaimSummaryOutput(serializers.ModelSerializer):
    billed = Yuan(source="billed_fen")
    approved = Yuan(source="approved_fen")
    plan = serializers.CharField(source="policy.plan.__str__")

    class Meta:
        model = Claim
        fields = [
            "id",
            "expense_reference",
            "plan",
            "status",
            "review_reason",
            "billed",
            "approved",
            "created_at",
            "decided_at",
        ]


class ClaimDocumentOutput(serializers.ModelSerializer):
    class Meta:
        model = ClaimDocument
        fields = ["id", "content_type", "uploaded_at"]


class ClaimDetailOutput(ClaimSummaryOutput):
    lines = ClaimLineOutput(many=True)
    documents = ClaimDocumentOutput(many=True)

    class Meta(ClaimSummaryOutput.Meta):
        fields = [*ClaimSummaryOutput.Meta.fields, "is_outside_receipt", "lines", "documents"]


class SettlementQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Settlement.Status.choices, required=False)


class SettlementLineOutput(serializers.ModelSerializer):
    billed = Yuan(source="billed_fen")
    fully_self_paid = Yuan(source="ownpay_full_fen")
    self_paid_first_portion = Yuan(source="preselfpay_fen")
    deductible = Yuan(source="deductible_fen")
    social_pool = Yuan(source="pool_fen")
    personal_account = Yuan(source="account_fen")
    commercial_plan = Yuan(source="commercial_fen")
    patient_pays = Yuan(source="cash_fen")
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = SettlementLine
        fields = [
            "ref",
            "service_date",
            "category",
            "code",
            "description",
            "billed",
            "fully_self_paid",
            "self_paid_first_portion",
            "deductible",
            "social_pool",
            "personal_account",
            "commercial_plan",
            "patient_pays",
            "reasons",
        ]

    @extend_schema_field(ReasonOutput(many=True))
    def get_reasons(self, line: SettlementLine) -> list[dict[str, Any]]:
        return reasons_output(line.reasons)


class SettlementSummaryOutput(serializers.ModelSerializer):
    patient = serializers.IntegerField(source="patient_id")
    billed = Yuan(source="billed_fen")
    insurer = Yuan(source="insurer_fen", help_text="The social pool and the commercial plan.")
    personal_account = Yuan(source="account_fen")
    patient_pays = Yuan(source="cash_fen")

    class Meta:
        model = Settlement
        fields = [
            "id",
            "patient",
            "reference",
            "status",
            "service_date",
            "billed",
            "insurer",
            "personal_account",
            "patient_pays",
            "confirmed_at",
            "reversed_at",
        ]


class SettlementDetailOutput(SettlementSummaryOutput):
    lines = SettlementLineOutput(many=True)

    class Meta(SettlementSummaryOutput.Meta):
        fields = [*SettlementSummaryOutput.Meta.fields, "lines"]
