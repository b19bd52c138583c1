"""The interface a gateway adapter implements: start a payment, verify a callback, refund."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from payments.models import Payment, Payout, Refund


class InvalidCallback(Exception):
    """The callback's signature or body cannot be trusted; nothing is applied."""


@dataclass(frozen=True)
class StartResult:
    redirect_url: str


@dataclass(frozen=True)
class CallbackData:
    """What a gateway tells us, normalised to our vocabulary."""

    event_id: str
    payment_token: str
    transaction_id: str
    status: str  # one of payments.rules.CALLBACK_STATUSES
    amount: Decimal | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class RefundResult:
    succeeded: bool
    provider_refund_id: str = ""
    failure_reason: str = ""


@dataclass(frozen=True)
class PayoutResult:
    succeeded: bool
    provider_payout_id: str = ""
    failure_reason: str = ""


class PaymentProvider:
    """Base adapter. Real gateways (Alipay, WeChat Pay) subclass it with their own protocol."""

    signature_header = "X-Xinglin-Signature"

    def __init__(self, *, name: str, config: dict[str, Any]):
        self.name = name
        self.config = config

    def start(self, payment: Payment) -> StartResult:
        raise NotImplementedError

    def parse_callback(self, *, body: bytes, headers: Any) -> CallbackData:
        raise NotImplementedError

    def refund(self, refund: Refund) -> RefundResult:
        raise NotImplementedError

    def payout(self, payout: Payout) -> PayoutResult:
        raise NotImplementedError

    # HMAC-SHA256 over the raw body with the provider's webhook secret.
    def sign(self, body: bytes) -> str:
        secret = str(self.config["webhook_secret"]).encode()
        return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()

    def verify_signature(self, *, body: bytes, signature: str | None) -> None:
        # Compared as bytes: a header with non-ASCII characters is a bad signature, not a crash.
        expected = self.sign(body).encode()
        if not signature or not hmac.compare_digest(expected, signature.encode()):
            raise InvalidCallback("bad signature")
