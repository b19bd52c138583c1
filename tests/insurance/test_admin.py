"""The operators' insurance admin: every list answers its searches and filters, and each claim
action does what it says through the claim services."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.demo import seed_demo_data as seed_accounts
from insurance import demo
from insurance.models import Claim, PolicyYear, Settlement
from insurance.services import (
    claim_adjudicate,
    claim_decide,
    claim_document_add,
    claim_take_next,
)
from insurance.services.claims import LineDecision
from insurance.tasks import pay_out_approved_claims
from payments.models import Payout
from tests.accounts.factories import OperatorUserFactory, activate_totp
from tests.insurance.test_claims import DAY, PDF_BYTES, commercial_policy, officer, submit

pytestmark = pytest.mark.django_db

ADMIN = "/admin/insurance"


@pytest.fixture
def operator_client():
    operator = OperatorUserFactory()
    activate_totp(operator)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(operator)
    return client


def _act(client: Client, action: str, *claims: Claim) -> str:
    response = client.post(
        f"{ADMIN}/claim/",
        {"action": action, "_selected_action": [claim.pk for claim in claims]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def _in_review(policy, reference="receipt:big", amounts=(150_000,)) -> Claim:
    claim = claim_adjudicate(claim_id=submit(policy, reference=reference, amounts=amounts).pk)
    assert claim.status == Claim.Status.IN_REVIEW
    return claim


def _year(policy) -> PolicyYear:
    return PolicyYear.objects.get(policy=policy, year=DAY.year)


@pytest.mark.parametrize(
    "path",
    [
        "payer/?q=beijing&kind__exact=social",
        "plan/?q=outpatient&scheme__exact=commercial",
        "planversion/?q=2023&plan__scheme__exact=employee",
        "policy/?q=XL-2026&status__exact=active",
        "policy/?q=张伟",
        "settlement/?q=SIM&status__exact=confirmed",
        "claim/?q=DEMO-RCPT&status__exact=in_review",
        "claim/?review_reason__exact=missing_document&is_outside_receipt__exact=1",
        "drugcodemapping/?q=XA10BA",
        "reconciliationrun/?differences=yes",
    ],
)
def test_every_insurance_list_answers_its_search_and_filters(operator_client, path):
    seed_accounts(stdout=io.StringIO())
    demo.seed_demo_data(stdout=io.StringIO())
    response = operator_client.get(f"{ADMIN}/{path}")
    assert response.status_code == 200
    assert "errornote" not in response.content.decode()


def test_the_claim_list_and_page_show_the_demo_claims(operator_client):
    seed_accounts(stdout=io.StringIO())
    demo.seed_demo_data(stdout=io.StringIO())
    listing = operator_client.get(f"{ADMIN}/claim/?status__exact=paid").content.decode()
    paid = Claim.objects.get(status=Claim.Status.PAID)
    assert paid.expense_reference in listing
    assert Claim.objects.get(status=Claim.Status.DENIED).expense_reference not in listing
    page = operator_client.get(f"{ADMIN}/claim/{paid.pk}/change/")
    assert page.status_code == 200
    # Money is read only: no input for the approved amount or a line's amounts.
    html = page.content.decode()
    assert 'name="approved_fen"' not in html
    assert 'name="lines-0-approved_fen"' not in html
    version = demo.PlanVersion.objects.filter(plan__code=demo.COMMERCIAL_PLAN).get()
    assert operator_client.get(f"{ADMIN}/planversion/{version.pk}/change/").status_code == 200
    assert operator_client.get("/admin/payments/payout/?status__exact=succeeded").status_code == 200


def test_the_admin_reads_chinese():
    submit(commercial_policy())
    operator = OperatorUserFactory()
    activate_totp(operator)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(operator)
    html = client.get(f"{ADMIN}/claim/").content.decode()
    assert "理赔申请" in html
    assert "送回人工审核队列" in html
    assert "重新自动审核" in html
    assert "提交时间" in html  # a column header, from the field's label


def test_sending_a_taken_claim_back_frees_it_for_the_next_officer(operator_client):
    policy = commercial_policy()
    claim = _in_review(policy)
    first = officer()
    assert claim_take_next(officer=first).pk == claim.pk

    assert "1 claim is back in the review queue." in _act(operator_client, "return_to_queue", claim)
    claim.refresh_from_db()
    assert (claim.status, claim.assigned_to) == (Claim.Status.IN_REVIEW, None)
    assert claim_take_next(officer=officer()).pk == claim.pk


def test_sending_an_approved_claim_back_undoes_what_it_moved(operator_client):
    policy = commercial_policy(deductible_met=0)
    before = _year(policy)
    claim = _in_review(policy)
    clerk = officer()
    claim_take_next(officer=clerk)
    claim_decide(
        officer=clerk,
        claim_id=claim.pk,
        decisions=[LineDecision(ref="1", decision="approve")],
    )
    assert _year(policy).pool_paid_fen > before.pool_paid_fen

    _act(operator_client, "return_to_queue", claim)
    claim.refresh_from_db()
    after = _year(policy)
    assert claim.status == Claim.Status.IN_REVIEW
    assert claim.approved_fen == 0
    assert claim.lines.get().decision == ""
    assert (after.deductible_met_fen, after.pool_paid_fen) == (
        before.deductible_met_fen,
        before.pool_paid_fen,
    )


def test_a_paid_claim_cannot_be_sent_back(operator_client):
    policy = commercial_policy()
    claim = claim_adjudicate(claim_id=submit(policy).pk)
    pay_out_approved_claims()
    html = _act(operator_client, "return_to_queue", claim)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID
    assert f"#{claim.pk}:" in html


def test_running_the_rules_again_approves_a_claim_whose_document_arrived(operator_client):
    policy = commercial_policy()
    claim = claim_adjudicate(
        claim_id=submit(policy, reference="receipt:O1", amounts=(10_000,), outside=True).pk
    )
    assert claim.review_reason == Claim.ReviewReason.MISSING_DOCUMENT
    claim_document_add(
        account=policy.patient.account,
        claim_id=claim.pk,
        upload=SimpleUploadedFile("r.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    html = _act(operator_client, "run_rules_again", claim)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    assert claim.approved_fen == 8_000
    assert "1 claim went through the rules again." in html


def test_a_refused_payout_is_retried_from_the_admin(operator_client, settings):
    policy = commercial_policy()
    claim = claim_adjudicate(claim_id=submit(policy).pk)
    settings.PAYMENT_SANDBOX_PAYOUTS_FAIL = True
    assert pay_out_approved_claims() == 0
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    assert claim.payout is not None
    assert claim.payout.status == Payout.Status.FAILED

    html = _act(operator_client, "pay_out", claim)
    assert "the payout failed" in html
    settings.PAYMENT_SANDBOX_PAYOUTS_FAIL = False
    _act(operator_client, "pay_out", claim)
    _act(operator_client, "pay_out", claim)  # a double click pays nothing twice
    claim.refresh_from_db()
    payout = Payout.objects.get()
    assert claim.status == Claim.Status.PAID
    assert claim.paid_at is not None
    assert (payout.status, payout.attempts, payout.amount * 100) == (
        Payout.Status.SUCCEEDED,
        3,
        claim.approved_fen,
    )
    assert payout.payee == policy.patient.account


def test_only_an_approved_claim_is_paid_out(operator_client):
    policy = commercial_policy()
    claim = _in_review(policy)
    html = _act(operator_client, "pay_out", claim)
    assert f"#{claim.pk}:" in html
    assert not Payout.objects.exists()


def test_settlements_cannot_be_added_or_deleted_by_hand(operator_client):
    assert operator_client.get(f"{ADMIN}/settlement/add/").status_code == 403
    assert not Settlement.objects.exists()


def test_the_claim_list_reads_in_constant_queries(operator_client):
    policy = commercial_policy()
    submit(policy, reference="receipt:Q1")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert operator_client.get(f"{ADMIN}/claim/").status_code == 200
        return len(queries)

    count()  # the first request also reads what the session and permissions cache
    one = count()
    for n in range(2, 6):
        _in_review(policy, reference=f"receipt:Q{n}")
    claim_take_next(officer=officer())
    # Patient, policy, plan and officer come with the claims, not one query per row.
    assert count() == one == 11


def test_a_policys_account_balance_is_entered_once_then_read_only(operator_client):
    seed_accounts(stdout=io.StringIO())
    demo.seed_demo_data(stdout=io.StringIO())
    policy = demo.Policy.objects.get(member_number="11010519800517001")
    change = operator_client.get(f"{ADMIN}/policy/{policy.pk}/change/").content.decode()
    assert 'name="account_balance_fen"' not in change
    superuser = OperatorUserFactory(is_superuser=True)
    activate_totp(superuser)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(superuser)
    add = client.get(f"{ADMIN}/policy/add/").content.decode()
    assert 'name="account_balance_fen"' in add
