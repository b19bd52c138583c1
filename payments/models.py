"""Payments: what a payer owes for a purpose, what the gateway said, and what was refunded.

A payment names its purpose generically (`purpose` + `reference`, e.g. "appointment" + "42"),
so this app never needs to know the apps that charge through it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.constraints import amount_is

ZERO = Decimal("0.00")


class Payment(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for payment")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        PAID = "paid", _("Paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("payer"),
    )
    purpose = models.CharField(_("purpose"), max_length=32)
    reference = models.CharField(_("reference"), max_length=64)
    description = models.CharField(_("description"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # gross = what the service costs; covered = what a payer such as insurance settles
    # directly; amount = what the patient pays through the gateway (gross - covered).
    gross_amount = models.DecimalField(_("gross amount"), max_digits=10, decimal_places=2)
    covered_amount = models.DecimalField(
        _("covered by insurance"), max_digits=10, decimal_places=2, default=ZERO
    )
    amount = models.DecimalField(
        _("amount"), max_digits=10, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    provider = models.CharField(_("provider"), max_length=32)
    provider_transaction_id = models.CharField(
        _("provider transaction id"), max_length=64, blank=True
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.WAITING
    )
    captured_amount = models.DecimalField(
        _("captured amount"), max_digits=10, decimal_places=2, default=ZERO
    )
    refunded_amount = models.DecimalField(
        _("refunded amount"), max_digits=10, decimal_places=2, default=ZERO
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # Where the payer's browser goes once the gateway is done (a path on this site).
    return_path = models.CharField(_("return path"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["purpose", "reference"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(
                condition=amount_is("amount", F("gross_amount") - F("covered_amount")),
                name="payment_amount_is_gross_less_covered",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("captured_amount")),
                name="payment_refund_within_captured",
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_transaction_id"],
                condition=~Q(provider_transaction_id=""),
                name="payment_unique_provider_transaction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose}:{self.reference} ¥{self.amount} ({self.get_status_display()})"

    @property
    def refundable_amount(self) -> Decimal:
        return self.captured_amount - self.refunded_amount


class PaymentCallback(models.Model):
    """Every gateway callback as received: the idempotency key and the audit trail in one."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        DUPLICATE = "duplicate", _("Duplicate, ignored")
        STALE = "stale", _("Out of order, ignored")
        REJECTED = "rejected", _("Rejected")

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="callbacks", null=True, blank=True
    )
    provider = models.CharField(_("provider"), max_length=32)
    event_id = models.CharField(_("event id"), max_length=64)
    reported_status = models.CharField(_("reported status"), max_length=24)
    payload = models.JSONField(_("payload"), default=dict)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment callback")
        verbose_name_plural = _("payment callbacks")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="payment_callback_unique_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} {self.reported_status} → {self.outcome}"


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment")
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    provider_refund_id = models.CharField(_("provider refund id"), max_length=64, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return f"¥{self.amount} ({self.get_status_display()})"


class Payout(models.Model):
    """Money we send to a payee, e.g. an approved insurance claim reimbursed to the patient.
    One per purpose and reference, so the same thing is never paid out twice; a failed payout
    is submitted again, not created again."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    payee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="payouts",
        verbose_name=_("payee"),
    )
    purpose = models.CharField(_("purpose"), max_length=32)
    reference = models.CharField(_("reference"), max_length=64)
    description = models.CharField(_("description"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    provider = models.CharField(_("provider"), max_length=32)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    provider_payout_id = models.CharField(_("provider payout id"), max_length=64, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
            models.UniqueConstraint(
                fields=["purpose", "reference"], name="payout_one_per_purpose_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose}:{self.reference} ¥{self.amount} ({self.get_status_display()})"
