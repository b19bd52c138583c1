"""Writes and state transitions of insurance: one function per domain operation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import patient_profile_get
from audit.services import access_log_record
from core.exceptions import Conflict, DomainError, InvalidTransition
from insurance import selectors
from insurance.adjudication import (
    Adjudication,
    ClaimLine,
    CommercialRules,
    CommercialYear,
    ItemCategory,
    SocialRules,
    SocialYear,
    adjudicate,
)
from insurance.models import Plan, Policy, PolicyYear, Settlement, SettlementLine

# Social insurance settles first; commercial plans after it (coordination of benefits).
SOCIAL_PRIORITY = 1
COMMERCIAL_PRIORITY = 2


def policy_add(
    *,
    account: Any,
    patient_id: int,
    plan_code: str,
    member_number: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
) -> Policy:
    """Registers a patient's membership of a plan. One active policy per plan and person, and a
    member number belongs to one person (409 otherwise)."""
    patient = patient_profile_get(account=account, profile_id=patient_id, include_archived=False)
    plan = Plan.objects.filter(code=plan_code, is_active=True).first()
    if plan is None:
        raise DomainError(_("No such plan open for enrolment."), field="plan")
    member_number = member_number.strip()
    if not member_number:
        raise DomainError(_("A member number is required."), field="member_number")
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_("A policy cannot end before it starts."), field="ends_on")
    try:
        with transaction.atomic():
            policy = Policy.objects.create(
                patient=patient,
                plan=plan,
                member_number=member_number,
                starts_on=starts_on,
                ends_on=ends_on,
                priority=SOCIAL_PRIORITY if plan.is_social else COMMERCIAL_PRIORITY,
                created_by=account,
            )
    except IntegrityError as error:
        raise Conflict(
            _("This person already has this plan, or the member number is taken."),
            code="policy_exists",
        ) from error
    access_log_record(
        actor=account,
        patient_id=patient.pk,
        object_type="insurance.policy",
        object_id=policy.pk,
        action="create",
    )
    return policy


@dataclass(frozen=True)
class _Coverage:
    """The policies that settle a date, the engine's rules and their years as they stand."""

    social: Policy | None
    commercial: Policy | None
    social_rules: SocialRules | None
    social_year: SocialYear | None
    commercial_rules: CommercialRules | None
    commercial_year: CommercialYear | None


def _year_of(policy: Policy, year: int, *, lock: bool) -> PolicyYear:
    if lock:
        # Create the row first so there is one to lock; then lock it for the rest of the
        # transaction, so two settlements of the same year queue rather than both reading it.
        PolicyYear.objects.get_or_create(policy=policy, year=year)
        return PolicyYear.objects.select_for_update(no_key=True).get(policy=policy, year=year)
    return PolicyYear.objects.filter(policy=policy, year=year).first() or PolicyYear(
        policy=policy, year=year
    )


def _coverage(
    *,
    patient_id: int,
    on: dt.date,
    provider_level: str,
    policies: tuple[Policy | None, Policy | None] | None = None,
    lock: bool = False,
) -> _Coverage:
    if policies is None:
        in_force = selectors.policies_in_force(patient_id=patient_id, on=on)
        social = next((p for p in in_force if p.plan.is_social), None)
        commercial = next((p for p in in_force if not p.plan.is_social), None)
    else:
        social, commercial = policies
    if lock:
        # Lock the policies in id order (the personal account balance lives on the social one)
        # so that two settlements never wait on each other in opposite orders. NO KEY UPDATE
        # queues settlements of the policy without blocking the inserts that only reference
        # it (a new quote's rows), which a plain FOR UPDATE would, into deadlocks.
        ids = sorted(p.pk for p in (social, commercial) if p is not None)
        locked = {p.pk: p for p in Policy.objects.select_for_update(no_key=True).filter(pk__in=ids)}
        social = locked.get(social.pk) if social else None
        commercial = locked.get(commercial.pk) if commercial else None
    social_rules = social_year = commercial_rules = commercial_year = None
    if social is not None:
        version = selectors.plan_version_in_force(plan_id=social.plan_id, on=on)
        if version is None:
            social = None
        else:
            year = _year_of(social, on.year, lock=lock)
            social_rules = selectors.social_rules(version=version, provider_level=provider_level)
            social_year = SocialYear(
                deductible_met=year.deductible_met_fen,
                pool_paid=year.pool_paid_fen,
                chronic_paid=year.chronic_paid_fen,
                account_balance=social.account_balance_fen,
            )
    if commercial is not None:
        version = selectors.plan_version_in_force(plan_id=commercial.plan_id, on=on)
        if version is None:
            commercial = None
        else:
            year = _year_of(commercial, on.year, lock=lock)
            commercial_rules = selectors.commercial_rules(
                version=version, policy=commercial, provider_level=provider_level
            )
            commercial_year = CommercialYear(
                deductible_met=year.deductible_met_fen, paid=year.pool_paid_fen
            )
    return _Coverage(
        social, commercial, social_rules, social_year, commercial_rules, commercial_year
    )


def _adjudicate(coverage: _Coverage, lines: list[ClaimLine]) -> Adjudication:
    social = (
        (coverage.social_rules, coverage.social_year)
        if coverage.social_rules is not None and coverage.social_year is not None
        else None
    )
    commercial = (
        (coverage.commercial_rules, coverage.commercial_year)
        if coverage.commercial_rules is not None and coverage.commercial_year is not None
        else None
    )
    return adjudicate(lines, social=social, commercial=commercial)


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


@dataclass(frozen=True)
class _Moves:
    """What a split moves on the accumulators: the difference between the years after and
    before it."""

    social_deductible: int = 0
    social_pool: int = 0
    social_chronic: int = 0
    account: int = 0
    commercial_deductible: int = 0
    commercial: int = 0


def _moves(coverage: _Coverage, result: Adjudication) -> _Moves:
    moves = _Moves()
    if coverage.social_year is not None and result.social_year is not None:
        before, after = coverage.social_year, result.social_year
        moves = replace(
            moves,
            social_deductible=after.deductible_met - before.deductible_met,
            social_pool=after.pool_paid - before.pool_paid,
            social_chronic=after.chronic_paid - before.chronic_paid,
            account=before.account_balance - after.account_balance,
        )
    if coverage.commercial_year is not None and result.commercial_year is not None:
        before_c, after_c = coverage.commercial_year, result.commercial_year
        moves = replace(
            moves,
            commercial_deductible=after_c.deductible_met - before_c.deductible_met,
            commercial=after_c.paid - before_c.paid,
        )
    return moves


def _stored_moves(settlement: Settlement) -> _Moves:
    return _Moves(
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
    coverage = _coverage(patient_id=patient_id, on=on, provider_level=provider_level)
    try:
        result = _adjudicate(coverage, lines)
    except ValueError as error:
        raise DomainError(str(error), field="lines") from error
    moves = _moves(coverage, result)
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


def _move_years(settlement: Settlement, moves: _Moves, sign: int) -> None:
    year = settlement.service_date.year
    if settlement.social_policy_id is not None:
        PolicyYear.objects.filter(policy_id=settlement.social_policy_id, year=year).update(
            deductible_met_fen=F("deductible_met_fen") + sign * moves.social_deductible,
            pool_paid_fen=F("pool_paid_fen") + sign * moves.social_pool,
            chronic_paid_fen=F("chronic_paid_fen") + sign * moves.social_chronic,
        )
        Policy.objects.filter(pk=settlement.social_policy_id).update(
            account_balance_fen=F("account_balance_fen") - sign * moves.account
        )
    if settlement.commercial_policy_id is not None:
        PolicyYear.objects.filter(policy_id=settlement.commercial_policy_id, year=year).update(
            deductible_met_fen=F("deductible_met_fen") + sign * moves.commercial_deductible,
            pool_paid_fen=F("pool_paid_fen") + sign * moves.commercial,
        )


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
    coverage = _coverage(
        patient_id=settlement.patient_id,
        on=settlement.service_date,
        provider_level=settlement.provider_level,
        policies=(settlement.social_policy, settlement.commercial_policy),
        lock=True,
    )
    result = _adjudicate(coverage, _claim_lines(settlement))
    if _moves(coverage, result) != _stored_moves(settlement) or result.total("cash") != (
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
    _move_years(settlement, _stored_moves(settlement), +1)
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
    _move_years(settlement, _stored_moves(settlement), -1)
    settlement.status = Settlement.Status.REVERSED
    settlement.reversed_at = timezone.now()
    settlement.reversal_reason = reason[:200]
    settlement.save(update_fields=["status", "reversed_at", "reversal_reason"])
    return settlement
