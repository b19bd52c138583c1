"""Direct billing at the point of sale, for the shop's checkout and the hospital's booking.

They call insurance with what was sold (codes, categories, amounts in yuan) under an expense
reference of their own, and get back who pays what; they never see a policy. Behind it are the
settlement's quote, confirmation and reversal, which work in fen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import DomainError
from insurance import selectors
from insurance.adjudication import ClaimLine, ItemCategory
from insurance.models import Settlement
from insurance.services.settlement import (
    settlement_confirm,
    settlement_quote,
    settlement_reverse,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_fen(amount: Decimal) -> int:
    return int((amount / CENT).to_integral_value())


def to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) * CENT).quantize(CENT)


@dataclass(frozen=True)
class SaleLine:
    """One thing sold that insurance may cover."""

    ref: str  # unique within the sale: the order line, the visit
    service_date: dt.date
    category: str  # an ItemCategory value
    code: str  # our item code (the shop's SKU, the visit's service code)
    amount: Decimal  # yuan
    description: str = ""
    diagnoses: tuple[str, ...] = ()  # ICD-10 codes the item is for


@dataclass(frozen=True)
class SaleSplit:
    """Who pays a sale: the insurers (social pool and commercial plan), the personal account,
    and the patient in cash. insurer + account + patient == billed."""

    billed: Decimal
    insurer: Decimal = ZERO
    account: Decimal = ZERO
    patient: Decimal = ZERO
    settlement_id: int | None = None

    @property
    def covered(self) -> Decimal:
        """What the patient does not pay through the payment gateway."""
        return self.insurer + self.account

    @classmethod
    def uninsured(cls, billed: Decimal) -> SaleSplit:
        return cls(billed=billed, patient=billed)

    @classmethod
    def of(cls, settlement: Settlement) -> SaleSplit:
        return cls(
            billed=to_yuan(settlement.billed_fen),
            insurer=to_yuan(settlement.insurer_fen),
            account=to_yuan(settlement.account_fen),
            patient=to_yuan(settlement.cash_fen),
            settlement_id=settlement.pk,
        )


def sale_quote(
    *,
    patient_id: int,
    reference: str,
    lines: list[SaleLine],
    expires_at: dt.datetime,
    provider_level: str = "",
) -> SaleSplit:
    """预结算 of a sale: the split the patient is shown before paying. A patient with no policy
    in force pays it all and nothing is recorded; a new quote replaces the open one."""
    billed = sum((line.amount for line in lines), ZERO)
    if not lines or billed <= 0:
        return SaleSplit.uninsured(billed)
    on = min(line.service_date for line in lines)
    if not selectors.policies_in_force(patient_id=patient_id, on=on):
        return SaleSplit.uninsured(billed)
    try:
        claim_lines = [
            ClaimLine(
                ref=line.ref,
                service_date=line.service_date,
                category=ItemCategory(line.category),
                code=line.code,
                billed=to_fen(line.amount),
                diagnoses=line.diagnoses,
            )
            for line in lines
        ]
    except ValueError as error:
        raise DomainError(_("An item has no insurance category."), field="lines") from error
    settlement = settlement_quote(
        patient_id=patient_id,
        reference=reference,
        lines=claim_lines,
        expires_at=expires_at,
        provider_level=provider_level,
        descriptions={line.ref: line.description for line in lines},
    )
    return SaleSplit.of(settlement)


def sale_confirm(*, reference: str) -> SaleSplit | None:
    """结算 of a paid sale with the split it was quoted. None when nothing was quoted (an
    uninsured sale); Conflict when the quote no longer holds (expired, or the accumulators
    moved since): the caller gives the patient's money back rather than settle another split."""
    settlement = (
        Settlement.objects.filter(
            reference=reference,
            status__in=(
                Settlement.Status.QUOTED,
                Settlement.Status.PENDING,
                Settlement.Status.CONFIRMED,
            ),
        )
        # A confirmed (or pending) one first: confirming is idempotent.
        .order_by("-status", "-id")
        .first()
    )
    if settlement is None:
        return None
    return SaleSplit.of(settlement_confirm(settlement_id=settlement.pk))


def sale_reverse(*, reference: str, reason: str) -> SaleSplit | None:
    """冲正 of a refunded or cancelled sale: what its settlement moved goes back, once. None when
    the sale was never settled."""
    settlement = (
        Settlement.objects.filter(
            reference=reference,
            status__in=(Settlement.Status.CONFIRMED, Settlement.Status.PENDING),
        )
        .order_by("-id")
        .first()
    )
    if settlement is None:
        return None
    return SaleSplit.of(settlement_reverse(settlement_id=settlement.pk, reason=reason))


def sale_confirm_all(*, references: list[str]) -> list[SaleSplit]:
    """Confirms the sale's settlements (one per patient of a shop order): all of them or, when
    one no longer holds, none (Conflict), so the caller can refund the sale whole."""
    splits = []
    with transaction.atomic():
        for reference in references:
            split = sale_confirm(reference=reference)
            if split is not None:
                splits.append(split)
    return splits


__all__ = [
    "SaleLine",
    "SaleSplit",
    "sale_confirm",
    "sale_confirm_all",
    "sale_quote",
    "sale_reverse",
    "to_fen",
    "to_yuan",
]
