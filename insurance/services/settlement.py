"""Settlement at the point of sale: a quote (预结算), its confirmation (结算), its reversal
(冲正)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import Conflict, DomainError, InvalidTransition
from insurance.adjudication import ClaimLine, ItemCategory
from insurance.models import Policy, PolicyYear, Settlement, SettlementLine
from insurance.services.coverage import (
    Moves,
    adjudicate_coverage,
    coverage_for,
    move_years,
    moves_of,
)


def _claim_lines(settlement: Settlement) -> list[ClaimLine]:
    return [
        ClaimLine(
            ref=line.ref,
            service_date=line.service_date,
            category=ItemCategory(line.category),
            code=line.code,
            billed=line.billed_fen,
            diagnoses=tuple(line.diagnoses),
        )
        for line in settlement.lines.order_by("id")
    ]


def _move_years(settlement: Settlement, sign: int) -> None:
    move_years(
        social_policy_id=settlement.social_policy_id,
        commercial_policy_id=settlement.commercial_policy_id,
        year=settlement.service_date.year,
        moves=_stored_moves(settlement),
        sign=sign,
    )


def _stored_moves(settlement: Settlement) -> Moves:
    return Moves(
        social_deductible=settlement.social_deductible_fen,
        social_pool=settlement.social_pool_fen,
        social_chronic=settlement.social_chronic_fen,
        account=settlement.account_fen,
        commercial_deductible=settlement.commercial_deductible_fen,
        commercial=settlement.commercial_fen,
    )


@transaction.atomic
def settlement_quote(
    *,
    patient_id: int,
    reference: str,
    lines: list[ClaimLine],
    expires_at: dt.datetime,
    provider_level: str = "",
    descriptions: dict[str, str] | None = None,
) -> Settlement:
    """预结算: how the patient's payers would split the expense now. Changes no accumulator; a
    new quote for the same expense replaces the open one (a changed cart needs a new quote)."""
    if not lines:
        raise DomainError(_("Nothing to settle."), field="lines")
    on = min(line.service_date for line in lines)
    coverage = coverage_for(patient_id=patient_id, on=on, provider_level=provider_level)
    try:
        result = adjudicate_coverage(coverage, lines)
    except ValueError as error:
        raise DomainError(str(error), field="lines") from error
    moves = moves_of(coverage, result)
    Settlement.objects.filter(reference=reference, status=Settlement.Status.QUOTED).delete()
    settlement = Settlement.objects.create(
        patient_id=patient_id,
        reference=reference,
        service_date=on,
        provider_level=provider_level,
        quote_expires_at=expires_at,
        social_policy=coverage.social,
        commercial_policy=coverage.commercial,
        social_deductible_fen=moves.social_deductible,
        social_pool_fen=moves.social_pool,
        social_chronic_fen=moves.social_chronic,
        account_fen=moves.account,
        commercial_deductible_fen=moves.commercial_deductible,
        commercial_fen=moves.commercial,
        billed_fen=result.total("billed"),
        cash_fen=result.total("cash"),
    )
    by_ref = {line.ref: line for line in lines}
    SettlementLine.objects.bulk_create(
        SettlementLine(
            settlement=settlement,
            ref=split.ref,
            service_date=by_ref[split.ref].service_date,
            category=by_ref[split.ref].category.value,
            code=by_ref[split.ref].code,
            description=(descriptions or {}).get(split.ref, "")[:200],
            diagnoses=list(by_ref[split.ref].diagnoses),
            billed_fen=split.billed,
            ownpay_full_fen=split.ownpay_full,
            preselfpay_fen=split.preselfpay,
            deductible_fen=split.deductible,
            pool_fen=split.pool,
            account_fen=split.account,
            commercial_fen=split.commercial,
            cash_fen=split.cash,
            reasons=[[reason.code.value, reason.amount] for reason in split.reasons],
        )
        for split in result.lines
    )
    return settlement


@transaction.atomic
def settlement_confirm(*, settlement_id: int) -> Settlement:
    """结算: the quoted split becomes final and the year's accumulators move with it.

    The split is worked out again on the locked accumulators; if another settlement has moved
    them since the quote, the quote no longer holds and is refused (409): the patient is shown
    a new quote rather than charged on an old one. Confirming twice does nothing twice."""
    settlement = Settlement.objects.select_for_update(no_key=True).get(pk=settlement_id)
    if settlement.status == Settlement.Status.CONFIRMED:
        return settlement
    if settlement.status != Settlement.Status.QUOTED:
        raise InvalidTransition(settlement.status, "confirm")
    if settlement.quote_expires_at <= timezone.now():
        raise Conflict(_("The quote has expired; ask for a new one."), code="quote_expired")
    coverage = coverage_for(
        patient_id=settlement.patient_id,
        on=settlement.service_date,
        provider_level=settlement.provider_level,
        policies=(settlement.social_policy, settlement.commercial_policy),
        lock=True,
    )
    result = adjudicate_coverage(coverage, _claim_lines(settlement))
    if moves_of(coverage, result) != _stored_moves(settlement) or result.total("cash") != (
        settlement.cash_fen
    ):
        raise Conflict(
            _("The insurance split has changed since it was quoted; ask for a new quote."),
            code="quote_stale",
        )
    settlement.status = Settlement.Status.CONFIRMED
    settlement.confirmed_at = timezone.now()
    try:
        with transaction.atomic():
            settlement.save(update_fields=["status", "confirmed_at"])
    except IntegrityError as error:
        raise Conflict(
            _("This expense has already been settled."), code="already_settled"
        ) from error
    _move_years(settlement, +1)
    return settlement


@transaction.atomic
def settlement_reverse(*, settlement_id: int, reason: str) -> Settlement:
    """冲正: a refunded or cancelled expense gives back what its settlement moved, exactly once."""
    settlement = Settlement.objects.select_for_update(no_key=True).get(pk=settlement_id)
    if settlement.status == Settlement.Status.REVERSED:
        return settlement
    if settlement.status != Settlement.Status.CONFIRMED:
        raise InvalidTransition(settlement.status, "reverse")
    ids = sorted(pk for pk in (settlement.social_policy_id, settlement.commercial_policy_id) if pk)
    list(Policy.objects.select_for_update(no_key=True).filter(pk__in=ids))
    list(
        PolicyYear.objects.select_for_update(no_key=True).filter(
            policy_id__in=ids, year=settlement.service_date.year
        )
    )
    _move_years(settlement, -1)
    settlement.status = Settlement.Status.REVERSED
    settlement.reversed_at = timezone.now()
    settlement.reversal_reason = reason[:200]
    settlement.save(update_fields=["status", "reversed_at", "reversal_reason"])
    return settlement
