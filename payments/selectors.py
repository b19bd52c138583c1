"""Reads of payments, with the joins each caller needs."""

from __future__ import annotations

from typing import Any

from core.exceptions import NotFound
from payments.models import Payment


def payment_get_for_payer(*, payer: Any, token: str) -> Payment:
    """The payer's own payment by its public token; anyone else's is a 404."""
    payment = Payment.objects.filter(token=token, payer=payer).first()
    if payment is None:
        raise NotFound("No such payment.")
    return payment
