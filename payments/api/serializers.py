from rest_framework import serializers

from core.api.serializers import ModelOutputSerializer
from payments.models import Payment, Refund


class RefundOutput(ModelOutputSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount", "status", "reason", "created_at", "completed_at"]


class PaymentOutput(ModelOutputSerializer):
    refunds = RefundOutput(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "token",
            "purpose",
            "reference",
            "description",
            "currency",
            "gross_amount",
            "covered_amount",
            "amount",
            "status",
            "provider",
            "paid_at",
            "refunded_amount",
            "refunds",
            "created_at",
        ]


class WebhookOutput(serializers.Serializer):
    event_id = serializers.CharField()
    outcome = serializers.CharField()
