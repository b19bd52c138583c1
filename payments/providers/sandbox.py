"""The sandbox gateway for development, tests and the browser journeys.

It "charges" nothing: the payer confirms or declines on our own sandbox page, which posts a
signed callback through the same webhook path a real gateway uses.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse

from payments import rules
from payments.providers.base import (
    CallbackData,
    InvalidCallback,
    PaymentProvider,
    PayoutResult,
    RefundResult,
    StartResult,
)

if TYPE_CHECKING:
    from payments.models import Payment, Payout, Refund


class SandboxProvider(PaymentProvider):
    def start(self, payment: Payment) -> StartResult:
        return StartResult(redirect_url=reverse("payments:sandbox", args=[payment.token]))

    def callback_body(self, *, payment: Payment, status: str, event_id: str | None = None) -> bytes:
        """The body the sandbox 'gateway' sends for a payment reaching `status`."""
        return json.dumps(
            {
                "event_id": event_id or uuid.uuid4().hex,
                "payment_token": str(payment.token),
                "transaction_id": f"SBX{payment.token.hex[:20].upper()}",
                "status": status,
                "amount": str(payment.amount),
            },
            sort_keys=True,
        ).encode()

    def parse_callback(self, *, body: bytes, headers: Any) -> CallbackData:
        self.verify_signature(body=body, signature=headers.get(self.signature_header))
        try:
            data = json.loads(body)
            status = data["status"]
            amount = Decimal(str(data["amount"])) if data.get("amount") is not None else None
            parsed = CallbackData(
                event_id=str(data["event_id"])[:64],
                payment_token=str(data["payment_token"]),
                transaction_id=str(data["transaction_id"])[:64],
                status=status,
                amount=amount,
                payload=data,
            )
        except (ValueError, KeyError, TypeError, InvalidOperation) as error:
            raise InvalidCallback(f"malformed body: {error}") from error
        if not isinstance(status, str) or status not in rules.CALLBACK_STATUSES:
            raise InvalidCallback(f"unknown status {status!r}")
        # Infinity, NaN or a huge exponent cannot be rounded to cents and compared with a price.
        if amount is not None and (not amount.is_finite() or amount.adjusted() > 12):
            raise InvalidCallback(f"malformed amount {amount}")
        return parsed

    def refund(self, refund: Refund) -> RefundResult:
        return RefundResult(succeeded=True, provider_refund_id=f"SBXR{refund.pk:010d}")

    def payout(self, payout: Payout) -> PayoutResult:
        # The sandbox pays out at once; PAYMENT_SANDBOX_PAYOUTS_FAIL makes it refuse, so a
        # failed payout and its retry can be tried on the demo.
        if settings.PAYMENT_SANDBOX_PAYOUTS_FAIL:
            return PayoutResult(succeeded=False, failure_reason="sandbox: payouts are switched off")
        return PayoutResult(succeeded=True, provider_payout_id=f"SBXP{payout.pk:010d}")
