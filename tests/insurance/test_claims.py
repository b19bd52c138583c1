"""Reimbursement claims: the rules decide what they can, a claims officer the rest; the same
expense is never paid twice and two officers never take the same claim."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.roles import Role
from core.exceptions import Conflict, DomainError, NotAllowed, NotFound
from insurance import demo
from insurance.adjudication import ClaimLine, ItemCategory
from insurance.models import Claim, Plan, Policy, PolicyYear
from insurance.services import (
    claim_adjudicate,
    claim_decide,
    claim_document_add,
    claim_submit,
    claim_take_next,
)
from insurance.services.claims import LineDecision
from tests.accounts.factories import PatientProfileFactory, UserFactory
from tests.concurrency import run_concurrently

DAY = dt.date(2026, 4, 10)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def commercial_policy(*, deductible_met=20_000):
    demo.seed_demo_data(stdout=io.StringIO())
    patient = PatientProfileFactory()
    policy = Policy.objects.create(
        patient=patient,
        plan=Plan.objects.get(code=demo.COMMERCIAL_PLAN),
        member_number=f"C{patient.pk}",
        starts_on=dt.date(2025, 1, 1),
        priority=2,
    )
    PolicyYear.objects.create(policy=policy, year=DAY.year, deductible_met_fen=deductible_met)
    return policy


def submit(policy, reference="receipt:A1", amounts=(30_000,), outside=False, day=DAY):
    lines = [
        ClaimLine(str(n), day, ItemCategory.VISIT, "visit", amount)
        for n, amount in enumerate(amounts, start=1)
    ]
    return claim_submit(
        account=policy.patient.account,
        policy_id=policy.pk,
        expense_reference=reference,
        lines=lines,
        is_outside_receipt=outside,
    )


def officer():
    return UserFactory(roles=[Role.CLAIMS_OFFICER])


@pytest.mark.django_db
def test_a_small_claim_is_approved_by_the_rules_and_moves_the_year():
    policy = commercial_policy()
    claim = claim_adjudicate(claim_id=submit(policy).pk)
    assert claim.status == Claim.Status.APPROVED
    assert claim.approved_fen == 24_000  # 80 % of ¥300, the deductible already met
    line = claim.lines.get()
    assert (line.proposed_fen, line.approved_fen) == (24_000, 24_000)
    assert PolicyYear.objects.get(policy=policy, year=DAY.year).pool_paid_fen == 24_000

    again = claim_adjudicate(claim_id=claim.pk)  # a redelivered task
    assert again.approved_fen == 24_000
    assert PolicyYear.objects.get(policy=policy, year=DAY.year).pool_paid_fen == 24_000


@pytest.mark.django_db
def test_the_same_expense_cannot_be_claimed_twice():
    policy = commercial_policy()
    submit(policy)
    with pytest.raises(Conflict) as refused:
        submit(policy)
    assert refused.value.code == "already_claimed"
    assert Claim.objects.count() == 1


@pytest.mark.django_db
def test_another_accounts_policy_is_not_found():
    policy = commercial_policy()
    with pytest.raises(NotFound):
        claim_submit(
            account=PatientProfileFactory().account,
            policy_id=policy.pk,
            expense_reference="x",
            lines=[ClaimLine("1", DAY, ItemCategory.VISIT, "visit", 100)],
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("submitted", "reason"),
    [
        ({"amounts": (150_000,)}, Claim.ReviewReason.OVER_THRESHOLD),
        ({"outside": True}, Claim.ReviewReason.MISSING_DOCUMENT),
    ],
)
def test_the_rules_send_some_claims_to_a_person(submitted, reason):
    policy = commercial_policy()
    claim = claim_adjudicate(claim_id=submit(policy, **submitted).pk)
    assert (claim.status, claim.review_reason) == (Claim.Status.IN_REVIEW, reason)
    assert PolicyYear.objects.get(policy=policy, year=DAY.year).pool_paid_fen == 0


@pytest.mark.django_db
def test_an_outside_receipt_with_its_document_is_decided_by_the_rules():
    policy = commercial_policy()
    claim = submit(policy, outside=True)
    claim_document_add(
        account=policy.patient.account,
        claim_id=claim.pk,
        upload=SimpleUploadedFile("receipt.pdf", PDF_BYTES),
    )
    assert claim_adjudicate(claim_id=claim.pk).status == Claim.Status.APPROVED


@pytest.mark.django_db
def test_a_document_that_is_not_a_pdf_or_image_is_refused():
    policy = commercial_policy()
    claim = submit(policy, outside=True)
    with pytest.raises(DomainError) as refused:
        claim_document_add(
            account=policy.patient.account,
            claim_id=claim.pk,
            upload=SimpleUploadedFile("receipt.pdf", b"MZ\x90\x00 not a pdf"),
        )
    assert refused.value.field == "file"
    assert not claim.documents.exists()


@pytest.mark.django_db
def test_the_same_lines_under_another_reference_are_a_suspected_duplicate():
    policy = commercial_policy()
    claim_adjudicate(claim_id=submit(policy, reference="receipt:A1").pk)
    second = claim_adjudicate(claim_id=submit(policy, reference="receipt:A1-copy").pk)
    assert second.review_reason == Claim.ReviewReason.SUSPECTED_DUPLICATE


@pytest.mark.django_db
def test_an_officer_decides_each_line_with_a_reason():
    policy = commercial_policy()
    claim = claim_adjudicate(claim_id=submit(policy, amounts=(100_000, 60_000)).pk)
    clerk = officer()
    assert claim_take_next(officer=clerk).pk == claim.pk

    decided = claim_decide(
        officer=clerk,
        claim_id=claim.pk,
        decisions=[
            LineDecision("1", "adjust", approved_fen=50_000, note="Only the consultation fee"),
            LineDecision("2", "deny", note="Cosmetic treatment"),
        ],
    )
    assert (decided.status, decided.approved_fen) == (Claim.Status.APPROVED, 50_000)
    assert PolicyYear.objects.get(policy=policy, year=DAY.year).pool_paid_fen == 50_000
    notes = dict(decided.lines.values_list("ref", "decision_note"))
    assert notes == {"1": "Only the consultation fee", "2": "Cosmetic treatment"}


@pytest.mark.django_db
def test_a_decision_needs_the_claim_taken_every_line_and_a_reason():
    policy = commercial_policy()
    claim = claim_adjudicate(claim_id=submit(policy, amounts=(150_000,)).pk)
    clerk = officer()
    with pytest.raises(NotAllowed):
        claim_decide(officer=clerk, claim_id=claim.pk, decisions=[LineDecision("1", "approve")])
    claim_take_next(officer=clerk)
    with pytest.raises(DomainError):
        claim_decide(officer=clerk, claim_id=claim.pk, decisions=[])
    with pytest.raises(DomainError):
        claim_decide(officer=clerk, claim_id=claim.pk, decisions=[LineDecision("1", "deny")])
    with pytest.raises(DomainError):
        claim_decide(
            officer=clerk,
            claim_id=claim.pk,
            decisions=[LineDecision("1", "adjust", approved_fen=150_001, note="more")],
        )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.IN_REVIEW


@pytest.mark.django_db
def test_an_officer_cannot_pay_past_the_years_cap():
    policy = commercial_policy()
    PolicyYear.objects.filter(policy=policy).update(pool_paid_fen=990_000)
    claim = claim_adjudicate(claim_id=submit(policy, amounts=(150_000,)).pk)
    clerk = officer()
    claim_take_next(officer=clerk)
    with pytest.raises(DomainError):
        claim_decide(
            officer=clerk,
            claim_id=claim.pk,
            decisions=[LineDecision("1", "adjust", approved_fen=20_000, note="receipt total")],
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_never_take_the_same_claim():
    policy = commercial_policy()
    claims = [
        claim_adjudicate(claim_id=submit(policy, reference=f"r{n}", amounts=(150_000 + n,)).pk)
        for n in range(4)
    ]
    clerks = [officer() for _ in range(6)]
    taken = run_concurrently(lambda clerk: claim_take_next(officer=clerk), [(c,) for c in clerks])
    got = [claim.pk for claim in taken if isinstance(claim, Claim)]
    assert sorted(got) == sorted(claim.pk for claim in claims)
    assert taken.count(None) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_expense_make_one_claim():
    policy = commercial_policy()
    outcomes = run_concurrently(lambda: submit(policy), [() for _ in range(5)])
    assert sum(isinstance(outcome, Claim) for outcome in outcomes) == 1
    assert all(
        isinstance(outcome, Claim)
        or (isinstance(outcome, Conflict) and outcome.code == "already_claimed")
        for outcome in outcomes
    ), outcomes
    assert Claim.objects.count() == 1


@pytest.mark.django_db
def test_a_changed_ratio_applies_to_the_next_claim(django_assert_num_queries):
    policy = commercial_policy()
    claim_adjudicate(claim_id=submit(policy, reference="receipt:R1").pk)  # the rules are kept
    second = submit(policy, reference="receipt:R2", amounts=(10_000,))
    with django_assert_num_queries(9):  # whatever the number of lines; kept rules not read
        claim_adjudicate(claim_id=second.pk)
    ratio = policy.plan.versions.get().ratios.get(category="visit")
    ratio.ratio_bp = 5000
    ratio.save()
    claim = claim_adjudicate(claim_id=submit(policy, reference="receipt:R3", amounts=(10_001,)).pk)
    assert claim.approved_fen == 5000  # 50 % of ¥100.01, rounded down, not the old 80 %
