"""The claims benchmark compares equal work: the real engine and the one-statement baseline,
from the same state over the same claims, end with the same figures to the fen."""

from __future__ import annotations

import pytest

from benchmarks.claims import claims_compare, claims_seed, claims_totals

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_the_engine_and_the_sql_baseline_end_with_the_same_totals():
    claim_ids = claims_seed(claims=120, policies=4)

    result = claims_compare(claim_ids)

    assert result.claims == 120
    assert result.same_totals, (result.engine, result.sql)
    # 30 claims a policy reach the annual maximum and the deductible: the caps were exercised,
    # and some claims (only self-pay lines, or after the maximum) are denied.
    assert result.engine.years_deductible_fen == 4 * 20_000
    assert result.engine.years_paid_fen == 4 * 800_000
    assert result.engine.approved_fen == result.engine.lines_approved_fen
    assert result.engine.approved > 0
    assert result.engine.denied > 0
    # The floor repeats the engine's statements a claim (seven, here with the test's savepoints).
    assert 7 <= result.statements_per_claim <= 10
    assert result.floor_rate > 0


def test_a_budget_cut_short_still_compares_the_same_claims():
    claim_ids = claims_seed(claims=30, policies=2, seed=11)

    result = claims_compare(claim_ids, budget_seconds=0.000001)

    assert result.claims <= 1
    assert result.same_totals
    assert claims_totals(claim_ids[result.claims :]).approved == 0
