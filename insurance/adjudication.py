"""The adjudication engine: how a claim's lines split between payers and the patient.

Pure and deterministic: a function of the plan version's figures, the year's accumulators and
the claim lines, with no database and no clock. The same input always gives the same split, so
a pre-settlement quote, its confirmation and a re-run of a claim agree to the fen.

Amounts are integer fen and ratios integer basis points (1 % = 100): the split is exact, and
every rounding goes one way (a payer's share is rounded down), so nothing is paid twice.

Social basic medical insurance settles first (the centre's rules: 全自费, 先行自付, 起付线,
统筹 up to 封顶线, 个人账户); a commercial plan may then pay part of what is left to the patient.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

BP = 10_000  # basis points in a whole


class ItemCategory(StrEnum):
    """What a claim line is, as the payer's catalogue classes it."""

    DRUG_JIA = "drug_jia"  # 甲类: covered in full scope
    DRUG_YI = "drug_yi"  # 乙类: a self-paid first portion, then covered
    DRUG_BING = "drug_bing"  # 丙类: self-pay
    DRUG_UNLISTED = "drug_unlisted"  # not in the catalogue: self-pay
    VISIT = "visit"  # an outpatient visit, an internet follow-up included


SELF_PAY_CATEGORIES = frozenset({ItemCategory.DRUG_BING, ItemCategory.DRUG_UNLISTED})
# Drugs the scheme's catalogue lists (甲, 乙): covered only under their national code (对码).
LISTED_DRUG_CATEGORIES = frozenset({ItemCategory.DRUG_JIA, ItemCategory.DRUG_YI})
DRUG_CATEGORIES = LISTED_DRUG_CATEGORIES | SELF_PAY_CATEGORIES


class ReasonCode(StrEnum):
    """Why part of a line was not paid by a payer, or who paid it; each has a sentence."""

    NOT_ACTIVE = "not_active"
    NOT_LISTED = "not_listed"
    CATEGORY_BING = "category_bing"
    SELF_PAID_PORTION = "self_paid_portion"
    DEDUCTIBLE = "deductible"
    COPAYMENT = "copayment"
    OVER_CAP = "over_cap"
    CHRONIC_DISEASE = "chronic_disease"
    PERSONAL_ACCOUNT = "personal_account"
    WAITING_PERIOD = "waiting_period"
    EXCLUDED_DIAGNOSIS = "excluded_diagnosis"
    EXCLUDED_DRUG = "excluded_drug"
    PER_CLAIM_MAXIMUM = "per_claim_maximum"
    ANNUAL_MAXIMUM = "annual_maximum"
    COMMERCIAL_COINSURANCE = "commercial_coinsurance"
    NO_DRUG_CODE = "no_drug_code"  # no national drug code (对码), so the centre cannot cover it


@dataclass(frozen=True, slots=True)
class ClaimLine:
    ref: str  # the line's own reference (an order item, a visit), unique in the claim
    service_date: dt.date
    category: ItemCategory
    code: str  # the drug's or service's code
    billed: int  # fen
    diagnoses: tuple[str, ...] = ()  # ICD-10 codes the line is for


@dataclass(frozen=True, slots=True)
class SocialRules:
    """One version of a social scheme's figures (see insurance.models.PlanVersion)."""

    deductible: int  # 起付线, fen a year
    annual_cap: int  # 封顶线 of the outpatient pool, fen a year
    ratios: Mapping[str, int]  # ItemCategory value -> share the pool pays, basis points
    yi_self_paid: int  # 先行自付 share of a 乙类 drug, basis points
    chronic_prefixes: tuple[str, ...] = ()  # ICD-10 prefixes of 门诊慢特病
    chronic_ratio: int = 0
    chronic_annual_cap: int = 0
    account_usable: bool = True  # the 个人账户 may pay the patient's in-scope share


@dataclass(frozen=True, slots=True)
class SocialYear:
    """What the year has used so far, and the personal account's balance."""

    deductible_met: int = 0
    pool_paid: int = 0
    chronic_paid: int = 0
    account_balance: int = 0


@dataclass(frozen=True, slots=True)
class CommercialRules:
    deductible: int  # fen a year
    coinsurance: Mapping[str, int]  # ItemCategory value -> share the insurer pays, basis points
    per_claim_maximum: int
    annual_maximum: int
    policy_starts_on: dt.date
    waiting_days: int = 0
    excluded_diagnosis_prefixes: tuple[str, ...] = ()
    excluded_drug_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CommercialYear:
    deductible_met: int = 0
    paid: int = 0


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    amount: int  # fen the reason is about


@dataclass(frozen=True, slots=True)
class LineSplit:
    """Who pays a line. pool + account + commercial + cash == billed, always."""

    ref: str
    billed: int
    ownpay_full: int = 0  # 全自费: outside the catalogue or 丙类
    preselfpay: int = 0  # 先行自付 of a 乙类 drug
    deductible: int = 0  # 起付线 consumed by this line
    pool: int = 0  # 统筹 (social pool) pays
    account: int = 0  # 个人账户 pays
    commercial: int = 0  # the commercial plan pays
    cash: int = 0  # the patient pays
    reasons: tuple[Reason, ...] = ()

    @property
    def insurer(self) -> int:
        return self.pool + self.commercial


@dataclass(frozen=True, slots=True)
class Adjudication:
    lines: tuple[LineSplit, ...]
    social_year: SocialYear | None = None  # the accumulators after this claim
    commercial_year: CommercialYear | None = None

    def total(self, part: str) -> int:
        return sum(getattr(line, part) for line in self.lines)


@dataclass(slots=True)
class _Line:
    line: ClaimLine
    split: LineSplit
    reasons: list[Reason] = field(default_factory=list)

    def note(self, code: ReasonCode, amount: int) -> None:
        if amount > 0:
            self.reasons.append(Reason(code, amount))


def _in_date_order(lines: Iterable[ClaimLine]) -> list[ClaimLine]:
    # The deductible and the caps are consumed in date order, so an earlier visit never pays
    # for a later one's deductible however the lines arrive.
    return sorted(lines, key=lambda line: (line.service_date, line.ref))


def _share(amount: int, basis_points: int) -> int:
    return amount * basis_points // BP


def _matches(codes: Iterable[str], prefixes: Iterable[str]) -> bool:
    prefixes = tuple(p.upper() for p in prefixes)
    return bool(prefixes) and any(code.upper().startswith(prefixes) for code in codes)


def adjudicate_social(
    rules: SocialRules, year: SocialYear, lines: Iterable[ClaimLine]
) -> Adjudication:
    """The social scheme's split of each line, and the year's accumulators after it."""
    deductible_left = max(rules.deductible - year.deductible_met, 0)
    cap_left = max(rules.annual_cap - year.pool_paid, 0)
    chronic_cap_left = max(rules.chronic_annual_cap - year.chronic_paid, 0)
    balance = year.account_balance
    pool_paid = chronic_paid = deductible_used = 0
    splits = []
    for line in _in_date_order(lines):
        work = _Line(line, LineSplit(ref=line.ref, billed=line.billed))
        billed = line.billed
        if line.category in SELF_PAY_CATEGORIES:
            ownpay = billed
            code = (
                ReasonCode.CATEGORY_BING
                if line.category == ItemCategory.DRUG_BING
                else ReasonCode.NOT_LISTED
            )
            work.note(code, ownpay)
            in_scope = 0
        else:
            ownpay = 0
            in_scope = billed
        preselfpay = 0
        if line.category == ItemCategory.DRUG_YI:
            preselfpay = billed - _share(billed, BP - rules.yi_self_paid)
            work.note(ReasonCode.SELF_PAID_PORTION, preselfpay)
            in_scope -= preselfpay
        chronic = in_scope > 0 and _matches(line.diagnoses, rules.chronic_prefixes)
        deductible = 0
        if chronic:
            # 门诊慢特病 have their own ratio and cap, and no outpatient deductible.
            wanted = _share(in_scope, rules.chronic_ratio)
            pool = min(wanted, chronic_cap_left)
            chronic_cap_left -= pool
            chronic_paid += pool
            work.note(ReasonCode.CHRONIC_DISEASE, pool)
        else:
            deductible = min(in_scope, deductible_left)
            deductible_left -= deductible
            deductible_used += deductible
            work.note(ReasonCode.DEDUCTIBLE, deductible)
            wanted = _share(in_scope - deductible, rules.ratios.get(line.category, 0))
            pool = min(wanted, cap_left)
            cap_left -= pool
            pool_paid += pool
        work.note(ReasonCode.OVER_CAP, wanted - pool)
        work.note(ReasonCode.COPAYMENT, in_scope - deductible - wanted)
        # The personal account pays the patient's share within the catalogue, never 全自费.
        payable_by_account = billed - ownpay - pool
        account = min(payable_by_account, balance) if rules.account_usable else 0
        balance -= account
        work.note(ReasonCode.PERSONAL_ACCOUNT, account)
        splits.append(
            replace(
                work.split,
                ownpay_full=ownpay,
                preselfpay=preselfpay,
                deductible=deductible,
                pool=pool,
                account=account,
                cash=billed - pool - account,
                reasons=tuple(work.reasons),
            )
        )
    after = SocialYear(
        deductible_met=year.deductible_met + deductible_used,
        pool_paid=year.pool_paid + pool_paid,
        chronic_paid=year.chronic_paid + chronic_paid,
        account_balance=balance,
    )
    return Adjudication(lines=tuple(splits), social_year=after)


def adjudicate_commercial(
    rules: CommercialRules,
    year: CommercialYear,
    lines: Iterable[ClaimLine],
    after_social: Adjudication | None = None,
) -> Adjudication:
    """What a commercial plan pays of what is left to the patient in cash (all of a line when
    no social scheme settled it), within its deductible, coinsurance and maximums."""
    earlier = {split.ref: split for split in (after_social.lines if after_social else ())}
    deductible_left = max(rules.deductible - year.deductible_met, 0)
    annual_left = max(rules.annual_maximum - year.paid, 0)
    claim_left = rules.per_claim_maximum
    covered_from = rules.policy_starts_on + dt.timedelta(days=rules.waiting_days)
    paid = deductible_used = 0
    splits = []
    for line in _in_date_order(lines):
        split = earlier.get(line.ref) or LineSplit(ref=line.ref, billed=line.billed)
        if line.ref not in earlier:
            split = replace(split, cash=line.billed)
        work = _Line(line, split, list(split.reasons))
        remaining = split.cash
        refusal = None
        if line.service_date < covered_from:
            refusal = ReasonCode.WAITING_PERIOD
        elif _matches(line.diagnoses, rules.excluded_diagnosis_prefixes):
            refusal = ReasonCode.EXCLUDED_DIAGNOSIS
        elif line.code in rules.excluded_drug_codes:
            refusal = ReasonCode.EXCLUDED_DRUG
        if refusal is not None or remaining == 0:
            if refusal is not None:
                work.note(refusal, remaining)
            splits.append(replace(split, reasons=tuple(work.reasons)))
            continue
        deductible = min(remaining, deductible_left)
        deductible_left -= deductible
        deductible_used += deductible
        work.note(ReasonCode.DEDUCTIBLE, deductible)
        wanted = _share(remaining - deductible, rules.coinsurance.get(line.category, 0))
        work.note(ReasonCode.COMMERCIAL_COINSURANCE, remaining - deductible - wanted)
        pays = min(wanted, claim_left, annual_left)
        if pays < wanted:
            code = (
                ReasonCode.PER_CLAIM_MAXIMUM
                if claim_left <= annual_left
                else ReasonCode.ANNUAL_MAXIMUM
            )
            work.note(code, wanted - pays)
        claim_left -= pays
        annual_left -= pays
        paid += pays
        splits.append(
            replace(
                split,
                commercial=split.commercial + pays,
                cash=remaining - pays,
                reasons=tuple(work.reasons),
            )
        )
    after = CommercialYear(
        deductible_met=year.deductible_met + deductible_used, paid=year.paid + paid
    )
    return Adjudication(
        lines=tuple(splits),
        social_year=after_social.social_year if after_social else None,
        commercial_year=after,
    )


def adjudicate(
    lines: Iterable[ClaimLine],
    *,
    social: tuple[SocialRules, SocialYear] | None = None,
    commercial: tuple[CommercialRules, CommercialYear] | None = None,
) -> Adjudication:
    """Coordination of benefits: the social scheme settles first, the commercial plan then
    pays part of what is left to the patient."""
    lines = list(lines)
    refs = [line.ref for line in lines]
    if len(set(refs)) != len(refs):
        raise ValueError("claim line references must be unique")
    if any(line.billed < 0 for line in lines):
        raise ValueError("a billed amount cannot be negative")
    result = None
    if social is not None:
        result = adjudicate_social(social[0], social[1], lines)
    if commercial is not None:
        result = adjudicate_commercial(commercial[0], commercial[1], lines, after_social=result)
    if result is None:
        splits = tuple(
            LineSplit(
                ref=line.ref,
                billed=line.billed,
                cash=line.billed,
                reasons=(Reason(ReasonCode.NOT_ACTIVE, line.billed),),
            )
            for line in _in_date_order(lines)
        )
        result = Adjudication(lines=splits)
    return result
