"""The adjudication engine: worked examples a claims officer can check by hand, then properties
that hold for every claim (hypothesis draws the rules, the year so far and the lines)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insurance.adjudication import (
    Adjudication,
    ClaimLine,
    CommercialRules,
    CommercialYear,
    ItemCategory,
    ReasonCode,
    SocialRules,
    SocialYear,
    adjudicate,
)

C = ItemCategory
DAY = dt.date(2026, 3, 2)

# Round figures of an employee outpatient scheme, to check the arithmetic by hand.
EMPLOYEE = SocialRules(
    deductible=100_000,  # ¥1,000 a year
    annual_cap=400_000,
    ratios={C.DRUG_JIA: 7000, C.DRUG_YI: 7000, C.VISIT: 7000},
    yi_self_paid=1000,
    chronic_prefixes=("I10", "E11"),
    chronic_ratio=8000,
    chronic_annual_cap=500_000,
)


def line(ref, category, billed, day=DAY, code="x", diagnoses=()):
    return ClaimLine(ref, day, category, code, billed, tuple(diagnoses))


def reasons(split):
    return {reason.code: reason.amount for reason in split.reasons}


def test_a_jia_drug_after_the_deductible_is_met_pays_the_ratio_and_the_account_the_rest():
    result = adjudicate(
        [line("1", C.DRUG_JIA, 10_000)],
        social=(EMPLOYEE, SocialYear(deductible_met=100_000, account_balance=2_000)),
    )
    (split,) = result.lines
    assert (split.pool, split.account, split.cash) == (7_000, 2_000, 1_000)
    assert result.social_year.account_balance == 0
    assert reasons(split)[ReasonCode.COPAYMENT] == 3_000


def test_a_yi_drug_is_first_self_paid_in_part_then_meets_the_deductible():
    result = adjudicate(
        [line("1", C.DRUG_YI, 150_000)],
        social=(EMPLOYEE, SocialYear(deductible_met=40_000)),
    )
    (split,) = result.lines
    # 10 % self-paid first (15,000); 60,000 of the deductible left; 70 % of the remaining 75,000.
    assert (split.preselfpay, split.deductible, split.pool) == (15_000, 60_000, 52_500)
    assert split.cash == 150_000 - 52_500
    assert result.social_year.deductible_met == 100_000


def test_bing_and_unlisted_drugs_are_self_pay_and_the_account_does_not_pay_them():
    result = adjudicate(
        [line("1", C.DRUG_BING, 5_000), line("2", C.DRUG_UNLISTED, 3_000)],
        social=(EMPLOYEE, SocialYear(deductible_met=100_000, account_balance=50_000)),
    )
    bing, unlisted = result.lines
    assert (bing.ownpay_full, bing.pool, bing.account, bing.cash) == (5_000, 0, 0, 5_000)
    assert reasons(bing) == {ReasonCode.CATEGORY_BING: 5_000}
    assert reasons(unlisted) == {ReasonCode.NOT_LISTED: 3_000}


def test_a_listed_chronic_disease_has_its_own_ratio_and_no_deductible():
    result = adjudicate(
        [line("1", C.DRUG_JIA, 20_000, diagnoses=["I10.x00"])],
        social=(EMPLOYEE, SocialYear()),
    )
    (split,) = result.lines
    assert (split.deductible, split.pool) == (0, 16_000)
    assert result.social_year.chronic_paid == 16_000
    assert result.social_year.deductible_met == 0


def test_the_pool_stops_at_the_annual_cap():
    result = adjudicate(
        [line("1", C.VISIT, 100_000)],
        social=(EMPLOYEE, SocialYear(deductible_met=100_000, pool_paid=390_000)),
    )
    (split,) = result.lines
    assert split.pool == 10_000
    assert reasons(split)[ReasonCode.OVER_CAP] == 60_000
    assert result.social_year.pool_paid == EMPLOYEE.annual_cap


def test_the_deductible_is_consumed_in_date_order_whatever_order_the_lines_come_in():
    later = line("a", C.VISIT, 80_000, day=DAY + dt.timedelta(days=5))
    earlier = line("b", C.VISIT, 80_000, day=DAY)
    result = adjudicate([later, earlier], social=(EMPLOYEE, SocialYear()))
    by_ref = {split.ref: split for split in result.lines}
    assert by_ref["b"].deductible == 80_000
    assert by_ref["a"].deductible == 20_000


HUIMINBAO = CommercialRules(
    deductible=20_000,
    coinsurance={C.DRUG_JIA: 8000, C.DRUG_YI: 8000, C.DRUG_BING: 5000, C.VISIT: 8000},
    per_claim_maximum=50_000,
    annual_maximum=100_000,
    policy_starts_on=dt.date(2026, 1, 1),
    waiting_days=30,
    excluded_diagnosis_prefixes=("O",),
    excluded_drug_codes=("finasteride",),
)


def test_the_commercial_plan_pays_part_of_what_social_left_to_the_patient():
    result = adjudicate(
        [line("1", C.DRUG_BING, 30_000)],
        social=(EMPLOYEE, SocialYear(deductible_met=100_000)),
        commercial=(HUIMINBAO, CommercialYear()),
    )
    (split,) = result.lines
    # Self-pay for social; the commercial deductible (20,000) first, then 50 % of 10,000.
    assert (split.pool, split.commercial, split.cash) == (0, 5_000, 25_000)
    assert result.commercial_year == CommercialYear(deductible_met=20_000, paid=5_000)


@pytest.mark.parametrize(
    ("claim_line", "refusal"),
    [
        (line("1", C.VISIT, 10_000, day=dt.date(2026, 1, 20)), ReasonCode.WAITING_PERIOD),
        (line("1", C.VISIT, 10_000, diagnoses=["O26.9"]), ReasonCode.EXCLUDED_DIAGNOSIS),
        (line("1", C.DRUG_JIA, 10_000, code="finasteride"), ReasonCode.EXCLUDED_DRUG),
    ],
)
def test_the_commercial_plan_refuses_with_a_reason(claim_line, refusal):
    result = adjudicate([claim_line], commercial=(HUIMINBAO, CommercialYear()))
    (split,) = result.lines
    assert (split.commercial, split.cash) == (0, 10_000)
    assert reasons(split) == {refusal: 10_000}


def test_the_commercial_plan_stops_at_the_per_claim_maximum():
    year = CommercialYear(deductible_met=20_000)
    result = adjudicate(
        [line("1", C.VISIT, 50_000), line("2", C.VISIT, 50_000)],
        commercial=(HUIMINBAO, year),
    )
    assert result.total("commercial") == HUIMINBAO.per_claim_maximum
    assert reasons(result.lines[1])[ReasonCode.PER_CLAIM_MAXIMUM] == 30_000


def test_without_an_active_policy_the_patient_pays_everything():
    result = adjudicate([line("1", C.VISIT, 3_000)])
    assert result.lines[0].cash == 3_000
    assert reasons(result.lines[0]) == {ReasonCode.NOT_ACTIVE: 3_000}


def test_lines_with_the_same_reference_are_refused():
    with pytest.raises(ValueError):
        adjudicate([line("1", C.VISIT, 1), line("1", C.VISIT, 2)])


# --- properties ------------------------------------------------------------------------------

basis_points = st.integers(min_value=0, max_value=10_000)
fen = st.integers(min_value=0, max_value=2_000_000)
categories = st.sampled_from(list(ItemCategory))

social_rules = st.builds(
    SocialRules,
    deductible=fen,
    annual_cap=fen,
    ratios=st.dictionaries(categories, basis_points),
    yi_self_paid=basis_points,
    chronic_prefixes=st.lists(st.sampled_from(["I10", "E11", "J45"]), max_size=2).map(tuple),
    chronic_ratio=basis_points,
    chronic_annual_cap=fen,
    account_usable=st.booleans(),
)
social_years = st.builds(
    SocialYear, deductible_met=fen, pool_paid=fen, chronic_paid=fen, account_balance=fen
)
commercial_rules = st.builds(
    CommercialRules,
    deductible=fen,
    coinsurance=st.dictionaries(categories, basis_points),
    per_claim_maximum=fen,
    annual_maximum=fen,
    policy_starts_on=st.dates(dt.date(2025, 6, 1), dt.date(2026, 6, 1)),
    waiting_days=st.integers(0, 180),
    excluded_diagnosis_prefixes=st.lists(st.sampled_from(["O", "Z", "F"]), max_size=2).map(tuple),
    excluded_drug_codes=st.lists(st.sampled_from(["a", "b"]), max_size=1).map(tuple),
)
commercial_years = st.builds(CommercialYear, deductible_met=fen, paid=fen)


@st.composite
def claim_lines(draw):
    count = draw(st.integers(min_value=1, max_value=5))
    return [
        ClaimLine(
            ref=str(index),
            service_date=draw(st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
            category=draw(categories),
            code=draw(st.sampled_from(["a", "b", "c"])),
            billed=draw(st.integers(min_value=0, max_value=500_000)),
            diagnoses=tuple(draw(st.lists(st.sampled_from(["I10", "E11.9", "O26", "K29"])))),
        )
        for index in range(count)
    ]


@st.composite
def claims(draw):
    social = draw(st.none() | st.tuples(social_rules, social_years))
    commercial = draw(st.none() | st.tuples(commercial_rules, commercial_years))
    return draw(claim_lines()), social, commercial


def _run(claim) -> Adjudication:
    lines, social, commercial = claim
    return adjudicate(lines, social=social, commercial=commercial)


@settings(max_examples=300, deadline=None)
@given(claims())
def test_every_line_adds_up_to_what_was_billed_and_nothing_is_negative(claim):
    for split in _run(claim).lines:
        parts = (split.pool, split.account, split.commercial, split.cash)
        assert sum(parts) == split.billed
        assert all(part >= 0 for part in parts)
        assert split.insurer <= split.billed


@settings(max_examples=300, deadline=None)
@given(claims())
def test_no_payer_passes_its_caps_or_maximums(claim):
    _lines, social, commercial = claim
    result = _run(claim)
    if social is not None:
        rules, year = social
        after = result.social_year
        assert after.pool_paid - year.pool_paid <= max(rules.annual_cap - year.pool_paid, 0)
        assert after.chronic_paid - year.chronic_paid <= max(
            rules.chronic_annual_cap - year.chronic_paid, 0
        )
        assert after.deductible_met <= max(rules.deductible, year.deductible_met)
        assert 0 <= after.account_balance <= year.account_balance
        assert year.account_balance - after.account_balance == result.total("account")
    if commercial is not None:
        rules, year = commercial
        assert result.total("commercial") <= rules.per_claim_maximum
        assert result.commercial_year.paid - year.paid <= max(rules.annual_maximum - year.paid, 0)


@settings(max_examples=200, deadline=None)
@given(claims())
def test_the_same_claim_always_gives_the_same_split(claim):
    lines, social, commercial = claim
    assert _run(claim) == _run((list(reversed(lines)), social, commercial))


@settings(max_examples=200, deadline=None)
@given(social_rules, claim_lines())
def test_the_deductible_is_consumed_by_the_earliest_lines_first(rules, lines):
    result = adjudicate(lines, social=(rules, SocialYear()))
    by_ref = {split.ref: split for split in result.lines}
    ordered = sorted(lines, key=lambda line: (line.service_date, line.ref))
    seen_partial = False
    for claim_line in ordered:
        split = by_ref[claim_line.ref]
        in_scope = split.billed - split.ownpay_full - split.preselfpay
        chronic = bool(rules.chronic_prefixes) and any(
            code.startswith(rules.chronic_prefixes) for code in claim_line.diagnoses
        )
        if chronic or in_scope == 0:
            continue
        if seen_partial:
            assert split.deductible == 0
        if split.deductible < in_scope:
            seen_partial = True
