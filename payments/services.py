"""Writes and state transitions of payments: one function per domain operation."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from core.actors import payment_system_actor
from core.exceptions import Conflict, DomainError, NotFound
from core.outbox import outbox_enqueue
from payments import rules
from payments.models import ZERO, Payment, PaymentCallback, Payout, Refund
from payments.providers import get_provider
from payments.providers.base import CallbackData, InvalidCallback, StartResult
from payments.signals import payment_closed_unpaid, payment_succeeded

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")

__all__ = [
    "InvalidCallback",
    "payment_callback_process",
    "payment_cancel",
    "payment_create",
    "payment_refund",
    "payment_sandbox_complete",
    "payment_start",
    "payout_request",
    "payout_submit",
    "refund_submit",
]


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT)


def payment_create(
    *,
    payer: Any,
    purpose: str,
    reference: str,
    gross_amount: Decimal,
    covered_amount: Decimal = ZERO,
    description: str = "",
    provider: str | None = None,
    return_path: str = "",
) -> Payment:
    """A payment waiting for the payer. `covered_amount` is what another payer (insurance)
    settles directly; the payer is charged the rest."""
    from django.conf import settings

    provider_name = provider or settings.PAYMENT_DEFAULT_PROVIDER
    get_provider(provider_name)
    gross, covered = _money(gross_amount), _money(covered_amount)
    if gross < 0 or covered < 0 or covered > gross:
        raise DomainError(str(_("The amounts of a payment must be 0 ≤ covered ≤ gross.")))
    return Payment.objects.create(
        payer=payer,
        purpose=purpose,
        reference=str(reference),
        description=description[:200],
        gross_amount=gross,
        covered_amount=covered,
        amount=gross - covered,
        provider=provider_name,
        return_path=_local_path(return_path),
    )


def _local_path(path: str) -> str:
    """The path itself when it stays on this site, else "": the sandbox page redirects there
    and must never become an open redirect (browsers read "/\\host" as "//host")."""
    if path.startswith("/") and url_has_allowed_host_and_scheme(path, allowed_hosts=None):
        return path
    return ""


def payment_start(*, payment: Payment) -> StartResult:
    """Where to send the payer to pay (the gateway's page; for the sandbox, ours)."""
    if payment.status != Payment.Status.WAITING:
        raise Conflict(str(_("This payment is no longer waiting to be paid.")), code="not_payable")
    return get_provider(payment.provider).start(payment)


def _apply(payment: Payment, data: CallbackData) -> tuple[str, str]:
    """Decides what a callback does to the (locked) payment: (outcome, detail)."""
    target = rules.REPORTED_TO_STATUS[data.status]
    if data.amount is not None and _money(data.amount) != payment.amount:
        return PaymentCallback.Outcome.REJECTED, f"amount {data.amount} != {payment.amount}"
    if (
        payment.provider_transaction_id
        and data.transaction_id
        and data.transaction_id != payment.provider_transaction_id
    ):
        return PaymentCallback.Outcome.REJECTED, "transaction id does not match"
    if rules.STATUS_RANK[target] <= rules.STATUS_RANK[Payment.Status(payment.status)]:
        outcome = (
            PaymentCallback.Outcome.DUPLICATE
            if target == payment.status
            else PaymentCallback.Outcome.STALE
        )
        return outcome, f"payment is already {payment.status}"
    payment.status = target
    fields = ["status", "updated_at"]
    if data.transaction_id and not payment.provider_transaction_id:
        payment.provider_transaction_id = data.transaction_id
        fields.append("provider_transaction_id")
    if target == Payment.Status.PAID:
        payment.captured_amount = payment.amount
        payment.paid_at = timezone.now()
        fields += ["captured_amount", "paid_at"]
    payment.save(update_fields=fields)
    return PaymentCallback.Outcome.APPLIED, ""


def payment_callback_process(*, provider_name: str, body: bytes, headers: Any) -> PaymentCallback:
    """Applies a signed gateway callback once. Safe to receive twice or out of order: a
    duplicate event, or a status behind the payment's current one, changes nothing.

    Raises InvalidCallback for a bad signature or body (nothing is recorded), NotFound for a
    payment we do not know.
    """
    provider = get_provider(provider_name)
    data = provider.parse_callback(body=body, headers=headers)
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(token=data.payment_token, provider=provider_name)
            .first()
        )
        if payment is None:
            raise NotFound(str(_("No such payment.")))
        # The payment row lock serialises this payment's callbacks, so this check is exact.
        seen = PaymentCallback.objects.filter(
            provider=provider_name, event_id=data.event_id
        ).first()
        if seen is not None:
            return seen
        previous_status = payment.status
        outcome, detail = _apply(payment, data)
        callback = PaymentCallback.objects.create(
            payment=payment,
            provider=provider_name,
            event_id=data.event_id,
            reported_status=data.status,
            payload=data.payload,
            outcome=outcome,
            detail=detail[:200],
        )
        if outcome == PaymentCallback.Outcome.APPLIED:
            logger.info(
                "payment %s: %s → %s",
                payment.pk,
                previous_status,
                payment.status,
            )
            if payment.status == Payment.Status.PAID:
                # The gateway is who acted: receivers record it so (a patient's access log
                # names the payment system, not an anonymous visitor).
                payment_succeeded.send(
                    sender=Payment, payment=payment, actor=payment_system_actor(provider_name)
                )
            elif payment.status in (Payment.Status.FAILED, Payment.Status.CANCELLED):
                payment_closed_unpaid.send(sender=Payment, payment=payment)
        return callback


def payment_sandbox_complete(*, payment: Payment, succeed: bool) -> PaymentCallback:
    """The sandbox gateway's answer for the payer's choice, through the signed webhook path."""
    provider = get_provider(payment.provider)
    if not hasattr(provider, "callback_body"):
        raise NotFound(str(_("No such payment.")))
    body = provider.callback_body(payment=payment, status="paid" if succeed else "failed")
    headers = {provider.signature_header: provider.sign(body)}
    return payment_callback_process(provider_name=payment.provider, body=body, headers=headers)


@transaction.atomic
def payment_cancel(*, payment_id: int) -> Payment:
    """Closes a payment nobody will pay any more (its purpose went away). Idempotent; a payment
    already paid stays paid (the caller refunds it)."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status == Payment.Status.WAITING:
        payment.status = Payment.Status.CANCELLED
        payment.save(update_fields=["status", "updated_at"])
    return payment


@transaction.atomic
def payment_refund(
    *,
    payment_id: int,
    reason: str,
    amount: Decimal | None = None,
    requested_by: Any = None,
) -> Refund | None:
    """Refunds `amount` (default: all that is left) of a paid payment.

    The amount is reserved at once (payment.refunded_amount), so two refunds can never exceed
    what was captured; the gateway is asked after commit. Returns None when nothing is left.
    """
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status not in (Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED):
        if payment.status == Payment.Status.REFUNDED:
            return None
        raise Conflict(str(_("Only a paid payment can be refunded.")), code="not_refundable")
    refundable = payment.refundable_amount
    amount = refundable if amount is None else _money(amount)
    if amount <= 0 or refundable <= 0:
        return None
    if amount > refundable:
        raise DomainError(
            str(_("At most ¥%(amount)s can still be refunded.") % {"amount": refundable}),
            field="amount",
        )
    payment.refunded_amount += amount
    payment.status = (
        Payment.Status.REFUNDED
        if payment.refunded_amount == payment.captured_amount
        else Payment.Status.PARTIALLY_REFUNDED
    )
    payment.save(update_fields=["refunded_amount", "status", "updated_at"])
    refund = Refund.objects.create(
        payment=payment, amount=amount, reason=reason[:200], requested_by=requested_by
    )
    from payments.tasks import submit_refund

    outbox_enqueue(submit_refund, refund_id=refund.pk)
    return refund


def refund_submit(*, refund_id: int) -> Refund:
    """Asks the gateway to pay a pending refund back. Idempotent: a settled refund is left
    alone. A refused refund releases its reserved amount, so it can be requested again."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
        if refund.status != Refund.Status.PENDING:
            return refund
        result = get_provider(refund.payment.provider).refund(refund)
        refund.completed_at = timezone.now()
        if result.succeeded:
            refund.status = Refund.Status.SUCCEEDED
            refund.provider_refund_id = result.provider_refund_id
            refund.save(update_fields=["status", "provider_refund_id", "completed_at"])
            return refund
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        payment.refunded_amount -= refund.amount
        payment.status = (
            Payment.Status.PAID
            if payment.refunded_amount == 0
            else Payment.Status.PARTIALLY_REFUNDED
        )
        payment.save(update_fields=["refunded_amount", "status", "updated_at"])
        refund.status = Refund.Status.FAILED
        refund.failure_reason = result.failure_reason[:200]
        refund.save(update_fields=["status", "failure_reason", "completed_at"])
    # Operators find failed refunds in the admin (filter by status) and retry them there.
    logger.error(
        "refund %s of payment %s failed: %s", refund.pk, refund.payment_id, refund.failure_reason
    )
    return refund


@transaction.atomic
def payout_request(
    *,
    payee: Any,
    purpose: str,
    reference: str,
    amount: Decimal,
    description: str = "",
    provider: str | None = None,
) -> Payout:
    """The payout for `purpose` + `reference`, created once: asking again returns the same
    one, so nothing is paid out twice (a failed one takes the amount asked for now)."""
    from django.conf import settings

    amount = _money(amount)
    if amount <= 0:
        raise DomainError(str(_("A payout is more than nothing.")), field="amount")
    provider_name = provider or settings.PAYMENT_DEFAULT_PROVIDER
    get_provider(provider_name)
    payout, _created = Payout.objects.select_for_update().get_or_create(
        purpose=purpose,
        reference=str(reference),
        defaults={
            "payee": payee,
            "amount": amount,
            "description": description[:200],
            "provider": provider_name,
        },
    )
    if payout.status == Payout.Status.FAILED and payout.amount != amount:
        # Nothing was sent: what is owed may have been decided again since.
        payout.amount = amount
        payout.save(update_fields=["amount"])
    return payout


def payout_submit(*, payout_id: int) -> Payout:
    """Asks the gateway to send a pending or failed payout. Idempotent: a payout that
    succeeded is left alone."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status == Payout.Status.SUCCEEDED:
            return payout
        result = get_provider(payout.provider).payout(payout)
        payout.attempts += 1
        payout.completed_at = timezone.now()
        if result.succeeded:
            payout.status = Payout.Status.SUCCEEDED
            payout.provider_payout_id = result.provider_payout_id
            payout.failure_reason = ""
        else:
            payout.status = Payout.Status.FAILED
            payout.failure_reason = result.failure_reason[:200]
        payout.save(
            update_fields=[
                "status",
                "provider_payout_id",
                "failure_reason",
                "attempts",
                "completed_at",
            ]
        )
    if payout.status == Payout.Status.FAILED:
        logger.error("payout %s failed: %s", payout.pk, payout.failure_reason)
    return payout
