"""Settlement at the point of sale: a quote (预结算), its confirmation (结算), its reversal
(冲正)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import Conflict, DomainError, InvalidTransition
from insurance import selectors
from insurance.adjudication import (
    DRUG_CATEGORIES,
    Adjudication,
    ClaimLine,
    LineSplit,
    Reason,
    ReasonCode,
    SocialYear,
    adjudicate_commercial,
)
from insurance.gateway import FeeLine, SettleAnswer, SettleRequest, get_gateway
from insurance.models import Policy, PolicyYear, Settlement, SettlementLine
from insurance.services.coverage import (
    Coverage,
    Moves,
    adjudicate_coverage,
    coverage_for,
    engine_lines,
    move_years,
    moves_of,
)


def _fee_lines(lines: list[ClaimLine]) -> tuple[FeeLine, ...]:
    """The lines as uploaded to the centre, drugs with their national code (对码). Without a
    mapping in force the code is left empty and the centre self-pays the drug."""
    on = min(line.service_date for line in lines)
    national = selectors.national_drug_codes(codes=[line.code for line in lines], on=on)
    return tuple(
        FeeLine(
            feedetl_sn=line.ref,
            fee_ocur_time=line.service_date,
            med_list_codg=national.get(line.code, "")
            if line.category in DRUG_CATEGORIES
            else line.code,
            medins_list_codg=line.code,
            category=line.category.value,
            det_item_fee_sumamt=line.billed,
            diagnoses=line.diagnoses,
        )
        for line in lines
    )


def _social_of(coverage: Coverage, answer: SettleAnswer) -> Adjudication:
    """The centre's answer as the engine's social split, so a commercial plan settles on top."""
    splits = tuple(
        LineSplit(
            ref=d.feedetl_sn,
            billed=d.det_item_fee_sumamt,
            ownpay_full=d.fulamt_ownpay_amt,
            preselfpay=d.preselfpay_amt,
            deductible=d.act_pay_dedc,
            pool=d.hifp_pay,
            account=d.acct_pay,
            cash=d.psn_cash_pay,
            reasons=tuple(Reason(ReasonCode(code), amount) for code, amount in d.reasons),
        )
        for d in answer.details
    )
    before = coverage.social_year or SocialYear()
    chronic = sum(d.hifp_pay for d in answer.details if d.chronic)
    after = SocialYear(
        deductible_met=before.deductible_met + answer.act_pay_dedc,
        pool_paid=before.pool_paid + answer.hifp_pay - chronic,
        chronic_paid=before.chronic_paid + chronic,
        account_balance=answer.balc,
    )
    return Adjudication(lines=splits, social_year=after)


def _split(
    coverage: Coverage,
    lines: list[ClaimLine],
    *,
    reference: str,
    provider_level: str,
    settle: bool = False,
    pay_ord_id: str = "",
) -> tuple[Adjudication, SettleAnswer | None]:
    """The split of an expense: the social part from the centre, then the commercial plan's part
    of what is left, with the engine.

    Through the mobile-payment chain (医保移动支付, INSURANCE_SETTLEMENT_CHAIN = "mobile") the
    quote uploads the fees (6201, opening a payment order) and settling is the payment order
    (6202); where a region's centre has not opened it, online sales settle as at a counter:
    pre-settlement 2206, settlement 2207. A settlement stays on the chain it was quoted on."""
    if coverage.social is None or coverage.social_rules is None:
        return adjudicate_coverage(coverage, lines), None
    request = SettleRequest(
        psn_no=coverage.social.member_number,
        mdtrt_id=reference,
        provider_level=provider_level,
        fee_lines=_fee_lines(lines),
        pay_ord_id=pay_ord_id,
    )
    gateway = get_gateway()
    if settle:
        answer = gateway.payment_order(request) if pay_ord_id else gateway.settle(request)
    elif settings.INSURANCE_SETTLEMENT_CHAIN == "mobile":
        answer = gateway.upload_fees(request)
    else:
        answer = gateway.pre_settle(request, lock=False)
    result = _social_of(coverage, answer)
    if coverage.commercial_rules is not None and coverage.commercial_year is not None:
        result = adjudicate_commercial(
            coverage.commercial_rules, coverage.commercial_year, lines, after_social=result
        )
    return result, answer


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
        adjudicate_coverage(coverage, lines)  # the engine's checks of the lines themselves
    except ValueError as error:
        raise DomainError(str(error), field="lines") from error
    result, answer = _split(coverage, lines, reference=reference, provider_level=provider_level)
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
        pay_ord_id=answer.pay_ord_id if answer is not None else "",
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

    The centre settles (2207) on the locked accumulators; if another settlement has moved them
    since the quote, the quote no longer holds and is refused (409): the patient is shown a new
    quote rather than charged on an old one. A "success" the centre does not confirm leaves the
    settlement pending, moving nothing until a query says it is settled. Confirming twice does
    nothing twice."""
    settlement = Settlement.objects.select_for_update(no_key=True).get(pk=settlement_id)
    if settlement.status in (Settlement.Status.CONFIRMED, Settlement.Status.PENDING):
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
    result, answer = _split(
        coverage,
        engine_lines(settlement.lines.order_by("id")),
        reference=settlement.reference,
        provider_level=settlement.provider_level,
        settle=True,
        pay_ord_id=settlement.pay_ord_id,
    )
    if moves_of(coverage, result) != _stored_moves(settlement) or result.total("cash") != (
        settlement.cash_fen
    ):
        _cancel_at_centre(answer)
        raise Conflict(
            _("The insurance split has changed since it was quoted; ask for a new quote."),
            code="quote_stale",
        )
    confirmed = answer is None or answer.confirmed
    settlement.setl_id = answer.setl_id if answer is not None else ""
    settlement.status = Settlement.Status.CONFIRMED if confirmed else Settlement.Status.PENDING
    settlement.confirmed_at = timezone.now() if confirmed else None
    try:
        with transaction.atomic():
            settlement.save(update_fields=["status", "confirmed_at", "setl_id"])
    except IntegrityError as error:
        _cancel_at_centre(answer)
        raise Conflict(
            _("This expense has already been settled."), code="already_settled"
        ) from error
    if confirmed:
        _move_years(settlement, +1)
    return settlement


def _cancel_at_centre(answer: SettleAnswer | None) -> None:
    # 2208: what the centre settled for a settlement we refuse must not stay settled there.
    if answer is not None and answer.setl_id:
        get_gateway().cancel_settlement(setl_id=answer.setl_id)


def _mark_reversed(settlement: Settlement, reason: str) -> None:
    settlement.status = Settlement.Status.REVERSED
    settlement.reversed_at = timezone.now()
    settlement.reversal_reason = reason[:200]
    settlement.save(update_fields=["status", "reversed_at", "reversal_reason"])


def _lock_years(settlement: Settlement) -> None:
    """Locks the settlement's policies in id order, then their rows of its year (made if the
    year has none yet), before the accumulators move."""
    ids = sorted(pk for pk in (settlement.social_policy_id, settlement.commercial_policy_id) if pk)
    list(Policy.objects.select_for_update(no_key=True).filter(pk__in=ids))
    for pk in ids:
        PolicyYear.objects.get_or_create(policy_id=pk, year=settlement.service_date.year)
    list(
        PolicyYear.objects.select_for_update(no_key=True).filter(
            policy_id__in=ids, year=settlement.service_date.year
        )
    )


@transaction.atomic
def settlement_refresh(*, settlement_id: int) -> Settlement:
    """6301 for a pending settlement: once the centre says it is settled, it is confirmed and
    the accumulators move, exactly once; if the centre has no settlement, it is reversed."""
    settlement = Settlement.objects.select_for_update(no_key=True).get(pk=settlement_id)
    if settlement.status != Settlement.Status.PENDING:
        return settlement
    status = get_gateway().query(setl_id=settlement.setl_id)
    if not status.settled:
        if status.status in ("cancelled", "reversed", "refunded"):
            _mark_reversed(settlement, f"centre: {status.status}")
        return settlement
    _lock_years(settlement)
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


def settlements_refresh_pending() -> int:
    """Asks the centre about every pending settlement; how many were confirmed."""
    confirmed = 0
    for pk in Settlement.objects.filter(status=Settlement.Status.PENDING).values_list(
        "pk", flat=True
    ):
        try:
            if settlement_refresh(settlement_id=pk).status == Settlement.Status.CONFIRMED:
                confirmed += 1
        except Conflict:
            continue
    return confirmed


@transaction.atomic
def settlement_reverse(*, settlement_id: int, reason: str) -> Settlement:
    """冲正: a refunded or cancelled expense gives back what its settlement moved, exactly once."""
    settlement = Settlement.objects.select_for_update(no_key=True).get(pk=settlement_id)
    if settlement.status == Settlement.Status.REVERSED:
        return settlement
    if settlement.status == Settlement.Status.PENDING:
        # Nothing moved here yet: the centre's settlement is cancelled (2208) and that is all.
        get_gateway().cancel_settlement(setl_id=settlement.setl_id)
        _mark_reversed(settlement, reason)
        return settlement
    if settlement.status != Settlement.Status.CONFIRMED:
        raise InvalidTransition(settlement.status, "reverse")
    if settlement.setl_id:
        gateway = get_gateway()
        if settlement.pay_ord_id:
            gateway.refund(setl_id=settlement.setl_id)  # 6203
        else:
            gateway.reverse(setl_id=settlement.setl_id)  # 2601
    _lock_years(settlement)
    _move_years(settlement, -1)
    _mark_reversed(settlement, reason)
    return settlement
