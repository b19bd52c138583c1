"""The review demo: approved (with a pending renewal), rejected with a reason and expired
prescriptions beside the one waiting for review; running it twice creates nothing twice."""

from __future__ import annotations

import io

import pytest

from accounts.demo import seed_demo_data as seed_accounts
from hospital.demo import seed_demo_data as seed_hospital
from hospital.prescriptions.models import Prescription, RenewalRequest
from hospital.prescriptions.services.supply import prescription_items_purchasable

pytestmark = pytest.mark.django_db


def test_seed_review_demo_covers_every_state_once():
    seed_accounts(stdout=io.StringIO())
    out = io.StringIO()
    seed_hospital(stdout=out)
    assert "reviewed demo prescriptions" in out.getvalue(), out.getvalue()
    statuses = sorted(Prescription.objects.values_list("status", flat=True))
    assert statuses == ["approved", "draft", "expired", "pending_review", "rejected"]
    rejected = Prescription.objects.get(status="rejected")
    assert rejected.review_decision_reason == "indication"
    assert rejected.review_comment
    approved = Prescription.objects.get(status="approved")
    assert approved.reviewed_by.email == "pharmacist@xinglin.test"
    assert list(prescription_items_purchasable(account=approved.patient.account))
    renewal = RenewalRequest.objects.get()
    assert renewal.prescription == approved
    assert renewal.status == "pending"
    assert approved.consultation.status == "closed"

    seed_hospital(stdout=io.StringIO())
    assert Prescription.objects.count() == 5
    assert RenewalRequest.objects.count() == 1
