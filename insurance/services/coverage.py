"""What covers an expense on a date: the patient's policies in settlement order, the engine's
rules from their versions in force, the year's accumulators (locked when about to move), and
how a split moves them. Shared by settlement at the point of sale and by claims."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db.models import F

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
from insurance.models import ClaimLine as ClaimLineRow
from insurance.models import PlanVersion, Policy, PolicyYear, SettlementLine


@dataclass(frozen=True)
class Coverage:
    """The policies that settle a date, the engine's rules and their years as they stand."""

    social: Policy | None
    commercial: Policy | None
    social_rules: SocialRules | None
    social_year: SocialYear | None
    commercial_rules: CommercialRules | None
    commercial_year: CommercialYear | None
    social_version: PlanVersion | None = None
    commercial_version: PlanVersion | None = None


def year_of(policy: Policy, year: int, *, lock: bool) -> PolicyYear:
    if lock:
        # Lock the row for the rest of the transaction, so two settlements of the same year
        # queue rather than both reading it; the year's first one creates it first.
        locked = PolicyYear.objects.select_for_update(no_key=True)
        row = locked.filter(policy=policy, year=year).first()
        if row is None:
            PolicyYear.objects.get_or_create(policy=policy, year=year)
            row = locked.get(policy=policy, year=year)
        return row
    return PolicyYear.objects.filter(policy=policy, year=year).first() or PolicyYear(
        policy=policy, year=year
    )


def coverage_for(
    *,
    patient_id: int,
    on: dt.date,
    provider_level: str,
    policies: tuple[Policy | None, Policy | None] | None = None,
    lock: bool = False,
    policies_locked: bool = False,
) -> Coverage:
    """`lock` locks the years (and the policies, unless the caller holds them: `policies_locked`)
    for a split about to move them."""
    if policies is None:
        in_force = selectors.policies_in_force(patient_id=patient_id, on=on)
        social = next((p for p in in_force if p.plan.is_social), None)
        commercial = next((p for p in in_force if not p.plan.is_social), None)
    else:
        social, commercial = policies
    if lock and not policies_locked:
        # Lock the policies in id order (the personal account balance lives on the social one)
        # so that two settlements never wait on each other in opposite orders. NO KEY UPDATE
        # queues settlements of the policy without blocking the inserts that only reference
        # it (a new quote's rows), which a plain FOR UPDATE would, into deadlocks.
        ids = sorted(p.pk for p in (social, commercial) if p is not None)
        locked = {p.pk: p for p in Policy.objects.select_for_update(no_key=True).filter(pk__in=ids)}
        social = locked.get(social.pk) if social else None
        commercial = locked.get(commercial.pk) if commercial else None
    social_rules = social_year = commercial_rules = commercial_year = None
    social_version = commercial_version = None
    if social is not None:
        version = social_version = selectors.plan_version_in_force(plan_id=social.plan_id, on=on)
        if version is None:
            social = None
        else:
            year = year_of(social, on.year, lock=lock)
            social_rules = selectors.social_rules(version=version, provider_level=provider_level)
            social_year = SocialYear(
                deductible_met=year.deductible_met_fen,
                pool_paid=year.pool_paid_fen,
                chronic_paid=year.chronic_paid_fen,
                account_balance=social.account_balance_fen,
            )
    if commercial is not None:
        version = commercial_version = selectors.plan_version_in_force(
            plan_id=commercial.plan_id, on=on
        )
        if version is None:
            commercial = None
        else:
            year = year_of(commercial, on.year, lock=lock)
            commercial_rules = selectors.commercial_rules(
                version=version,
                policy=commercial,
                provider_level=provider_level,
                bonus_cover_fen=year.bonus_cover_fen,
            )
            commercial_year = CommercialYear(
                deductible_met=year.deductible_met_fen, paid=year.pool_paid_fen
            )
    return Coverage(
        social,
        commercial,
        social_rules,
        social_year,
        commercial_rules,
        commercial_year,
        social_version,
        commercial_version,
    )


def engine_lines(rows: Iterable[SettlementLine | ClaimLineRow]) -> list[ClaimLine]:
    """Stored lines, of a settlement or a claim, as the engine takes them."""
    return [
        ClaimLine(
            ref=row.ref,
            service_date=row.service_date,
            category=ItemCategory(row.category),
            code=row.code,
            billed=row.billed_fen,
            diagnoses=tuple(row.diagnoses),
        )
        for row in rows
    ]


def adjudicate_coverage(coverage: Coverage, lines: list[ClaimLine]) -> Adjudication:
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


@dataclass(frozen=True)
class Moves:
    """What a split moves on the accumulators: the difference between the years after and
    before it."""

    social_deductible: int = 0
    social_pool: int = 0
    social_chronic: int = 0
    account: int = 0
    commercial_deductible: int = 0
    commercial: int = 0


def moves_of(coverage: Coverage, result: Adjudication) -> Moves:
    moves = Moves()
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


def move_years(
    *,
    social_policy_id: int | None,
    commercial_policy_id: int | None,
    year: int,
    moves: Moves,
    sign: int,
) -> None:
    """Adds (sign +1) or gives back (sign -1) what a split moves on the policies' year rows and
    the personal account; the caller holds the row locks."""
    if social_policy_id is not None:
        PolicyYear.objects.filter(policy_id=social_policy_id, year=year).update(
            deductible_met_fen=F("deductible_met_fen") + sign * moves.social_deductible,
            pool_paid_fen=F("pool_paid_fen") + sign * moves.social_pool,
            chronic_paid_fen=F("chronic_paid_fen") + sign * moves.social_chronic,
        )
        Policy.objects.filter(pk=social_policy_id).update(
            account_balance_fen=F("account_balance_fen") - sign * moves.account
        )
    if commercial_policy_id is not None:
        PolicyYear.objects.filter(policy_id=commercial_policy_id, year=year).update(
            deductible_met_fen=F("deductible_met_fen") + sign * moves.commercial_deductible,
            pool_paid_fen=F("pool_paid_fen") + sign * moves.commercial,
        )
