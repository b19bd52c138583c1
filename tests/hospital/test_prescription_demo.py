"""The demo seeds the formulary and, for the demo visit, a draft and a signed prescription
with an overridden interaction; running it twice creates nothing twice."""

from __future__ import annotations

import io

import pytest

from accounts.demo import seed_demo_data as seed_accounts
from hospital.demo import seed_demo_data as seed_hospital
from hospital.prescriptions.models import FormularyDrug, Prescription
from hospital.prescriptions.signature import prescription_signature_check

pytestmark = pytest.mark.django_db


def test_seed_demo_prescriptions_idempotent():
    seed_accounts(stdout=io.StringIO())
    seed_hospital(stdout=io.StringIO())
    assert FormularyDrug.objects.count() > 250
    drafts = Prescription.objects.filter(status="draft")
    pending = Prescription.objects.get(status="pending_review")
    assert drafts.count() == 1
    assert pending.findings.filter(kind="interaction", severity="major").exists()
    assert all(f.override_reason for f in pending.findings.filter(severity="major"))
    assert prescription_signature_check(pending).valid
    assert pending.consultation.status == "closed"

    seed_hospital(stdout=io.StringIO())
    assert Prescription.objects.filter(status__in=["draft", "pending_review"]).count() == 2
