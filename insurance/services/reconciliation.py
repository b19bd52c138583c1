"""对账: a day's settlements held against the day's payments and refunds.

The shop and the hospital settle an expense under a reference that begins with the payment's
own purpose and reference ("<purpose>:<reference>"), followed by ":<patient>" when one payment
pays for several patients' medicine (one shop order). That convention is all this needs to
find the payment of a settlement; it never reads the shop's or the hospital's tables.

What must hold, and what is reported when it does not:
- a settlement confirmed with a patient's part in cash has a captured payment;
- a captured payment that insurance covered part of has a settlement that was confirmed;
- the payment's covered amount is what its settlements covered (统筹, commercial plan and
  personal account together), and the patient was charged at least their settled part (the
  rest is what insurance never covers: a device, the shipping);
- a payment refunded in full, or below what the patient's settled part was, has its
  settlements reversed;
- a settlement reversed with a patient's part in cash has that part refunded;
- the medical-insurance centre's totals of the day (3201: how many settlements, the fees, the
  pool and the personal accounts) are ours for the settlements confirmed with it that day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from insurance.gateway import DailyTotals, get_gateway
from insurance.models import ReconciliationDifference, ReconciliationRun, Settlement
from insurance.services.point_of_sale import to_fen
from payments.models import Payment, Refund

Kind = ReconciliationDifference.Kind
PaymentKey = tuple[str, str]  # (purpose, reference) of a payment
# How many expenses one query looks up at a time (an OR of reference prefixes).
LOOKUP_BATCH = 500


def settlement_payment_key(reference: str) -> PaymentKey:
    """The payment a settlement's patient part was charged through: "appointment:42" and
    "pharmacy_order:7:3" are paid by the payments ("appointment", "42") and
    ("pharmacy_order", "7")."""
    purpose, _, rest = reference.partition(":")
    return purpose, rest.partition(":")[0]


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The day in the project's time zone (Asia/Shanghai), as the payer and the bank count it."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _covered(settlement: Settlement) -> int:
    return settlement.insurer_fen + settlement.account_fen


@dataclass
class _Expense:
    """Everything known about one payment key: its captured payments and the settlements that
    were ever confirmed under it (the latest one per reference)."""

    payments: list[Payment] = field(default_factory=list)
    settlements: dict[str, Settlement] = field(default_factory=dict)

    @property
    def still_confirmed(self) -> list[Settlement]:
        return [s for s in self.settlements.values() if s.status == Settlement.Status.CONFIRMED]


def _expenses(keys: set[PaymentKey]) -> dict[PaymentKey, _Expense]:
    expenses: dict[PaymentKey, _Expense] = defaultdict(_Expense)
    ordered = sorted(keys)
    for start in range(0, len(ordered), LOOKUP_BATCH):
        batch = ordered[start : start + LOOKUP_BATCH]
        payments = Payment.objects.filter(
            purpose__in={purpose for purpose, _ in batch},
            reference__in={reference for _, reference in batch},
            captured_amount__gt=0,
        ).order_by("id")
        wanted = set(batch)
        for payment in payments:
            if (payment.purpose, payment.reference) in wanted:
                expenses[(payment.purpose, payment.reference)].payments.append(payment)
        prefixes = reduce(
            or_,
            (
                Q(reference=f"{purpose}:{reference}")
                | Q(reference__startswith=f"{purpose}:{reference}:")
                for purpose, reference in batch
            ),
        )
        settlements = Settlement.objects.filter(prefixes, confirmed_at__isnull=False).order_by(
            "confirmed_at", "id"
        )
        for settlement in settlements:
            # A later confirmation of the same expense (after a reversal) is the one in force.
            key = settlement_payment_key(settlement.reference)
            expenses[key].settlements[settlement.reference] = settlement
    return expenses


def _difference(
    kind: str,
    reference: str,
    *,
    settlements: Iterable[Settlement] = (),
    payment: Payment | None = None,
    refund: Refund | None = None,
) -> ReconciliationDifference:
    settlements = list(settlements)
    return ReconciliationDifference(
        kind=kind,
        reference=reference,
        settlement=settlements[0] if len(settlements) == 1 else None,
        payment=payment,
        refund=refund,
        settlement_cash_fen=sum(s.cash_fen for s in settlements),
        settlement_covered_fen=sum(_covered(s) for s in settlements),
        payment_fen=to_fen(payment.captured_amount) if payment else 0,
        payment_covered_fen=to_fen(payment.covered_amount) if payment else 0,
        refunded_fen=to_fen(payment.refunded_amount) if payment else 0,
    )


def _compare(
    *,
    confirmed: list[Settlement],
    reversed_: list[Settlement],
    paid: list[Payment],
    refunds: list[Refund],
) -> list[ReconciliationDifference]:
    keys = {settlement_payment_key(s.reference) for s in confirmed + reversed_}
    keys |= {(p.purpose, p.reference) for p in paid}
    keys |= {(r.payment.purpose, r.payment.reference) for r in refunds}
    expenses = _expenses(keys)
    differences: list[ReconciliationDifference] = []

    for settlement in confirmed:
        expense = expenses[settlement_payment_key(settlement.reference)]
        if settlement.cash_fen > 0 and not expense.payments:
            differences.append(
                _difference(
                    Kind.SETTLEMENT_WITHOUT_PAYMENT, settlement.reference, settlements=[settlement]
                )
            )

    for payment in paid:
        expense = expenses[(payment.purpose, payment.reference)]
        reference = f"{payment.purpose}:{payment.reference}"
        settled = list(expense.settlements.values())
        if not settled:
            # A payment refunded whole undid the sale (a quote that no longer held is paid
            # back at once): nothing was owed by the insurers.
            if payment.covered_amount > 0 and payment.status != Payment.Status.REFUNDED:
                differences.append(
                    _difference(Kind.PAYMENT_WITHOUT_SETTLEMENT, reference, payment=payment)
                )
            continue
        covered = sum(_covered(s) for s in settled)
        cash = sum(s.cash_fen for s in settled)
        if to_fen(payment.covered_amount) != covered or to_fen(payment.amount) < cash:
            differences.append(
                _difference(Kind.AMOUNT_MISMATCH, reference, settlements=settled, payment=payment)
            )

    refunded_payments: set[int] = set()
    for refund in refunds:
        payment = refund.payment
        if payment.pk in refunded_payments:
            continue
        refunded_payments.add(payment.pk)
        expense = expenses[(payment.purpose, payment.reference)]
        standing = expense.still_confirmed
        if not standing:
            continue
        kept = to_fen(payment.captured_amount - payment.refunded_amount)
        # A partial refund of what insurance never covered (a returned device) leaves the
        # settlement standing; giving back the patient's settled part, or everything, does not.
        if payment.status == Payment.Status.REFUNDED or kept < sum(s.cash_fen for s in standing):
            differences.append(
                _difference(
                    Kind.REFUND_WITHOUT_REVERSAL,
                    f"{payment.purpose}:{payment.reference}",
                    settlements=standing,
                    payment=payment,
                    refund=refund,
                )
            )

    for settlement in reversed_:
        expense = expenses[settlement_payment_key(settlement.reference)]
        if settlement.cash_fen > 0 and not any(p.refunded_amount > 0 for p in expense.payments):
            differences.append(
                _difference(
                    Kind.REVERSAL_WITHOUT_REFUND,
                    settlement.reference,
                    settlements=[settlement],
                    payment=expense.payments[-1] if expense.payments else None,
                )
            )
    return differences


@dataclass(frozen=True)
class _CentreSide:
    centre: DailyTotals
    settlements: int
    medfee_fen: int
    hifp_fen: int
    acct_fen: int

    @property
    def agrees(self) -> bool:
        return (self.settlements, self.medfee_fen, self.hifp_fen, self.acct_fen) == (
            self.centre.setl_count,
            self.centre.medfee_sumamt,
            self.centre.hifp_pay,
            self.centre.acct_pay,
        )


def _centre_side(day: dt.date, confirmed: list[Settlement]) -> _CentreSide:
    """The centre's day (3201) against the settlements it settled for us that day and that
    still stand here. A settlement it settled that we still hold as pending, or one it undid
    that we did not, shows as a difference."""
    ours = [s for s in confirmed if s.setl_id and s.status == Settlement.Status.CONFIRMED]
    return _CentreSide(
        centre=get_gateway().daily_reconciliation(day=day),
        settlements=len(ours),
        medfee_fen=sum(s.billed_fen for s in ours),
        hifp_fen=sum(s.social_pool_fen + s.social_chronic_fen for s in ours),
        acct_fen=sum(s.account_fen for s in ours),
    )


@transaction.atomic
def reconciliation_run(*, day: dt.date) -> ReconciliationRun:
    """Reconciles the day's settlements with the day's payments and refunds. Running a day
    again (a late callback, a fix) replaces that day's run and its differences."""
    start, end = _day_bounds(day)
    confirmed = list(
        Settlement.objects.filter(confirmed_at__gte=start, confirmed_at__lt=end).order_by("id")
    )
    reversed_ = list(
        Settlement.objects.filter(reversed_at__gte=start, reversed_at__lt=end).order_by("id")
    )
    paid = list(
        Payment.objects.filter(paid_at__gte=start, paid_at__lt=end, captured_amount__gt=0).order_by(
            "id"
        )
    )
    refunds = list(
        Refund.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(status=Refund.Status.FAILED)
        .select_related("payment")
        .order_by("id")
    )
    differences = _compare(confirmed=confirmed, reversed_=reversed_, paid=paid, refunds=refunds)
    centre = _centre_side(day, confirmed)
    if not centre.agrees:
        differences.append(
            ReconciliationDifference(
                kind=Kind.CENTRE_TOTALS_MISMATCH,
                reference=f"3201:{day.isoformat()}",
                settlement_covered_fen=centre.hifp_fen + centre.acct_fen,
                payment_covered_fen=centre.centre.hifp_pay + centre.centre.acct_pay,
            )
        )

    # Lock the day's run, if any, so two runs of one day replace it one after the other.
    list(ReconciliationRun.objects.select_for_update().filter(day=day))
    ReconciliationRun.objects.filter(day=day).delete()
    run = ReconciliationRun.objects.create(
        day=day,
        settlements_confirmed=len(confirmed),
        settlements_confirmed_fen=sum(s.billed_fen for s in confirmed),
        settlements_reversed=len(reversed_),
        settlements_reversed_fen=sum(s.billed_fen for s in reversed_),
        insurer_fen=sum(s.insurer_fen for s in confirmed),
        account_fen=sum(s.account_fen for s in confirmed),
        cash_fen=sum(s.cash_fen for s in confirmed),
        payments_captured=len(paid),
        payments_captured_fen=sum(to_fen(p.captured_amount) for p in paid),
        payments_covered_fen=sum(to_fen(p.covered_amount) for p in paid),
        refunds=len(refunds),
        refunds_fen=sum(to_fen(r.amount) for r in refunds),
        differences_count=len(differences),
        centre_settlements=centre.centre.setl_count,
        centre_medfee_fen=centre.centre.medfee_sumamt,
        centre_hifp_fen=centre.centre.hifp_pay,
        centre_acct_fen=centre.centre.acct_pay,
        social_settlements=centre.settlements,
        social_medfee_fen=centre.medfee_fen,
        social_hifp_fen=centre.hifp_fen,
        social_acct_fen=centre.acct_fen,
    )
    for difference in differences:
        difference.run = run
    ReconciliationDifference.objects.bulk_create(differences)
    return run


def reconciliation_previous_day() -> ReconciliationRun:
    """The run of yesterday in Asia/Shanghai, for the nightly task."""
    return reconciliation_run(day=timezone.localdate() - dt.timedelta(days=1))
