"""The insurance demo a new operator sees: seed_demo leaves the demo patient with settlements
from paid orders and a claim in every state, the demo claims officer works the queue, and
seeding again changes nothing."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.demo import (
    DEMO_CLAIMS_OFFICER_EMAIL,
    DEMO_PASSWORD,
    DEMO_PATIENT_EMAIL,
)
from accounts.demo import seed_demo_data as seed_accounts
from accounts.models import User
from insurance import demo
from insurance.demo_claims import ADJUST_NOTE, ADJUSTED, RECEIPT_PREFIX, TAKEN
from insurance.models import Claim, ClaimLine, Settlement
from payments.models import Payout
from pharmacy.models import Order

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple[int, ...]:
    return (
        Claim.objects.count(),
        ClaimLine.objects.count(),
        Settlement.objects.count(),
        Order.objects.count(),
        Payout.objects.count(),
    )


def test_seeding_twice_leaves_one_claim_in_each_state_and_settled_orders(client):
    call_command("seed_demo", stdout=io.StringIO())
    first = _snapshot()
    call_command("seed_demo", stdout=io.StringIO())
    assert _snapshot() == first

    patient = User.objects.get(email=DEMO_PATIENT_EMAIL)
    officer = User.objects.get(email=DEMO_CLAIMS_OFFICER_EMAIL)
    claims = Claim.objects.filter(patient__account=patient)
    by_status = Counter(claims.values_list("status", flat=True))
    # Approved twice on purpose: once by the rules, once by the officer (a third, adjusted,
    # is approved too); every other state once.
    assert set(by_status) == set(Claim.Status.values)
    assert by_status[Claim.Status.SUBMITTED] == 1
    assert by_status[Claim.Status.DENIED] == 1
    assert by_status[Claim.Status.PAID] == 1
    assert by_status[Claim.Status.IN_REVIEW] == 2  # one taken by the officer, one waiting
    in_review = claims.filter(status=Claim.Status.IN_REVIEW)
    assert in_review.get(assigned_to=officer).expense_reference == RECEIPT_PREFIX + TAKEN.number
    assert in_review.filter(assigned_to__isnull=True).count() == 1

    adjusted = claims.get(expense_reference=RECEIPT_PREFIX + ADJUSTED.number)
    line = adjusted.lines.get()
    assert (adjusted.status, line.decision, line.decision_note) == (
        Claim.Status.APPROVED,
        ClaimLine.Decision.ADJUST,
        ADJUST_NOTE,
    )
    assert line.approved_fen < line.proposed_fen
    denied = claims.get(status=Claim.Status.DENIED)
    assert denied.approved_fen == 0
    assert denied.lines.get().decision_note
    paid = claims.get(status=Claim.Status.PAID)
    assert paid.payout is not None
    assert paid.payout.status == Payout.Status.SUCCEEDED
    assert paid.payout.amount * 100 == paid.approved_fen
    assert all(
        claim.documents.exists() for claim in claims.exclude(review_reason="missing_document")
    )

    settlements = Settlement.objects.filter(
        patient__account=patient, status=Settlement.Status.CONFIRMED
    )
    assert all(s.reference.startswith("pharmacy_order:") for s in settlements)
    orders = Order.objects.filter(account=patient, paid_at__isnull=False)
    # Each demo order insurance paid a share of has its one settlement.
    covered = [order for order in orders if order.insurance_share > 0]
    assert settlements.count() == len(covered) >= 2
    assert any(order.payment is not None for order in orders)  # one paid partly in cash

    client.force_login(patient)
    listing = client.get(reverse("insurance:settlements"), HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 200
    for settlement in settlements:
        eob = client.get(
            reverse("insurance:settlement", args=[settlement.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
        assert eob.status_code == 200
    claims_page = client.get(reverse("insurance:claims"), HTTP_ACCEPT_LANGUAGE="en")
    assert claims_page.status_code == 200
    for claim in claims:
        assert claim.expense_reference in claims_page.content.decode()


def test_the_demo_claims_officer_signs_in_and_opens_the_queue(client, settings):
    settings.DEBUG = True
    seed_accounts(stdout=io.StringIO())
    demo.seed_demo_data(stdout=io.StringIO())
    response = client.post(
        "/accounts/login/", {"login": DEMO_CLAIMS_OFFICER_EMAIL, "password": DEMO_PASSWORD}
    )
    assert response.url == reverse("mfa_authenticate")
    out = io.StringIO()
    call_command("demo_totp", stdout=out)
    response = client.post(reverse("mfa_authenticate"), {"code": out.getvalue().split()[0]})
    assert response.status_code == 302

    queue = client.get(reverse("insurance:review-queue"), HTTP_ACCEPT_LANGUAGE="en")
    assert queue.status_code == 200
    taken = Claim.objects.get(expense_reference=RECEIPT_PREFIX + TAKEN.number)
    assert reverse("insurance:review-claim", args=[taken.pk]) in queue.content.decode()
    # The claim the officer already holds comes back first when they take the next one.
    nxt = client.post(reverse("insurance:review-take-next"))
    assert nxt.url == reverse("insurance:review-claim", args=[taken.pk])
    assert client.get(nxt.url, HTTP_ACCEPT_LANGUAGE="en").status_code == 200


def test_demo_logins_say_where_the_claims_officer_starts():
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    line = next(row for row in out.getvalue().splitlines() if DEMO_CLAIMS_OFFICER_EMAIL in row)
    assert reverse("insurance:review-queue") in line
