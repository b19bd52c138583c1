"""Settlement at the point of sale: a quote moves nothing, a confirmation moves the year's
accumulators once, a reversal gives back exactly what it moved."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone

from core.exceptions import Conflict
from insurance import demo
from insurance.adjudication import ClaimLine, ItemCategory
from insurance.models import Plan, Policy, PolicyYear, Settlement
from insurance.services import settlement_confirm, settlement_quote, settlement_reverse
from tests.accounts.factories import OperatorUserFactory, PatientProfileFactory, activate_totp
from tests.concurrency import run_concurrently
from tests.insurance.factories import national_code_mapped

DAY = dt.date(2026, 3, 2)


def insured_patient(*, balance=50_000, deductible_met=0, commercial=True):
    demo.seed_demo_data(stdout=io.StringIO())
    patient = PatientProfileFactory()
    social = Policy.objects.create(
        patient=patient,
        plan=Plan.objects.get(code=demo.EMPLOYEE_PLAN),
        member_number=f"S{patient.pk}",
        starts_on=dt.date(2023, 1, 1),
        account_balance_fen=balance,
    )
    PolicyYear.objects.create(policy=social, year=DAY.year, deductible_met_fen=deductible_met)
    if commercial:
        Policy.objects.create(
            patient=patient,
            plan=Plan.objects.get(code=demo.COMMERCIAL_PLAN),
            member_number=f"C{patient.pk}",
            starts_on=dt.date(2025, 1, 1),
            priority=2,
        )
    return patient, social


def quote(patient, reference="order:1", lines=None, minutes=15):
    national_code_mapped("amlodipine")
    lines = lines or [
        ClaimLine("1", DAY, ItemCategory.DRUG_JIA, "amlodipine", 60_000),
        ClaimLine("2", DAY, ItemCategory.DRUG_BING, "vitamin-c", 5_000),
    ]
    return settlement_quote(
        patient_id=patient.pk,
        reference=reference,
        lines=lines,
        expires_at=timezone.now() + dt.timedelta(minutes=minutes),
    )


def year_of(policy):
    return PolicyYear.objects.get(policy=policy, year=DAY.year)


@pytest.mark.django_db
def test_a_quote_shows_the_split_and_moves_nothing():
    patient, social = insured_patient(deductible_met=180_000)
    settlement = quote(patient)
    assert settlement.status == Settlement.Status.QUOTED
    assert settlement.billed_fen == 65_000
    # 70 % of the category A drug from the pool; the account pays the rest it may.
    assert settlement.social_pool_fen == 42_000
    assert settlement.account_fen == 18_000
    assert settlement.billed_fen == settlement.insurer_fen + settlement.account_fen + (
        settlement.cash_fen
    )
    assert year_of(social).pool_paid_fen == 0
    social.refresh_from_db()
    assert social.account_balance_fen == 50_000


@pytest.mark.django_db
def test_confirming_moves_the_year_once_and_reversing_gives_it_back_once():
    patient, social = insured_patient(deductible_met=100_000)
    settlement = quote(patient)
    settlement_confirm(settlement_id=settlement.pk)
    settlement_confirm(settlement_id=settlement.pk)  # a retry: nothing twice
    moved = year_of(social)
    assert moved.deductible_met_fen == 160_000
    assert moved.pool_paid_fen == settlement.social_pool_fen
    social.refresh_from_db()
    assert social.account_balance_fen == 50_000 - settlement.account_fen

    settlement_reverse(settlement_id=settlement.pk, reason="refund")
    settlement_reverse(settlement_id=settlement.pk, reason="refund again")
    restored = year_of(social)
    assert (restored.deductible_met_fen, restored.pool_paid_fen) == (100_000, 0)
    social.refresh_from_db()
    assert social.account_balance_fen == 50_000
    assert Settlement.objects.get(pk=settlement.pk).reversal_reason == "refund"


@pytest.mark.django_db
def test_a_changed_cart_replaces_the_open_quote():
    patient, _ = insured_patient()
    quote(patient)
    newer = quote(patient, lines=[ClaimLine("1", DAY, ItemCategory.VISIT, "visit", 3_000)])
    assert list(Settlement.objects.filter(reference="order:1")) == [newer]


@pytest.mark.django_db
def test_an_expired_quote_is_refused():
    patient, social = insured_patient()
    settlement = quote(patient, minutes=-1)
    with pytest.raises(Conflict) as refused:
        settlement_confirm(settlement_id=settlement.pk)
    assert refused.value.code == "quote_expired"
    assert year_of(social).deductible_met_fen == 0


@pytest.mark.django_db
def test_a_quote_made_stale_by_another_settlement_is_refused():
    patient, social = insured_patient()
    first = quote(patient, reference="order:1")
    second = quote(patient, reference="order:2")
    settlement_confirm(settlement_id=first.pk)
    with pytest.raises(Conflict) as refused:
        settlement_confirm(settlement_id=second.pk)
    assert refused.value.code == "quote_stale"
    assert year_of(social).deductible_met_fen == first.social_deductible_fen


@pytest.mark.django_db
def test_the_same_expense_is_never_settled_twice():
    patient, _ = insured_patient()
    settlement_confirm(settlement_id=quote(patient).pk)
    again = quote(patient)
    with pytest.raises(Conflict) as refused:
        settlement_confirm(settlement_id=again.pk)
    assert refused.value.code == "already_settled"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_settlements_of_one_patient_lose_no_update():
    patient, social = insured_patient(balance=100_000, deductible_met=150_000, commercial=False)

    def checkout(reference):
        # What a checkout does when told its quote is stale: ask again, then confirm.
        for _attempt in range(20):
            settlement = quote(patient, reference=reference)
            try:
                return settlement_confirm(settlement_id=settlement.pk)
            except Conflict as error:
                if error.code != "quote_stale":
                    raise
        raise AssertionError("never settled")

    outcomes = run_concurrently(checkout, [(f"order:{n}",) for n in range(6)])
    assert all(isinstance(outcome, Settlement) for outcome in outcomes), outcomes

    confirmed = Settlement.objects.filter(status=Settlement.Status.CONFIRMED)
    assert confirmed.count() == 6
    year = year_of(social)
    assert year.deductible_met_fen == 150_000 + sum(s.social_deductible_fen for s in confirmed)
    assert year.deductible_met_fen == 180_000  # the rest of the deductible, used once
    assert year.pool_paid_fen == sum(s.social_pool_fen for s in confirmed)
    social.refresh_from_db()
    assert social.account_balance_fen == 100_000 - sum(s.account_fen for s in confirmed)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reversals_give_back_once():
    patient, social = insured_patient(deductible_met=100_000)
    settlement = settlement_confirm(settlement_id=quote(patient).pk)

    outcomes = run_concurrently(
        lambda: settlement_reverse(settlement_id=settlement.pk, reason="refund"),
        [() for _ in range(4)],
    )
    assert all(isinstance(outcome, Settlement) for outcome in outcomes), outcomes
    year = year_of(social)
    assert (year.deductible_met_fen, year.pool_paid_fen) == (100_000, 0)
    social.refresh_from_db()
    assert social.account_balance_fen == 50_000


@pytest.mark.django_db
def test_an_operator_reverses_a_settlement_from_the_admin_and_is_told_so():
    patient, social = insured_patient(deductible_met=100_000)
    settlement = settlement_confirm(settlement_id=quote(patient).pk)
    operator = OperatorUserFactory()
    activate_totp(operator)
    client = Client()
    client.force_login(operator)

    listing = client.get("/admin/insurance/settlement/", HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 200
    assert "order:1" in listing.content.decode()

    response = client.post(
        "/admin/insurance/settlement/",
        {"action": "reverse_settlements", "_selected_action": [settlement.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "1 settlement reversed." in response.content.decode()
    assert Settlement.objects.get(pk=settlement.pk).status == Settlement.Status.REVERSED
    assert year_of(social).deductible_met_fen == 100_000
