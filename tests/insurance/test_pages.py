"""The insurance pages, as a patient and a claims officer use them, in both languages."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.roles import Role
from insurance import demo
from insurance.models import Claim, Policy
from insurance.services import claim_adjudicate
from tests.accounts.factories import PatientProfileFactory, UserFactory, activate_totp
from tests.insurance.test_claims import DAY, PDF_BYTES, commercial_policy, submit

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_patient_registers_a_policy_and_sees_what_is_left(plans_seeded):
    patient = PatientProfileFactory()
    client = signed_in(patient.account)
    response = client.post(
        "/insurance/",
        {
            "patient": patient.pk,
            "plan": demo.EMPLOYEE_PLAN,
            "member_number": "110-777",
            "starts_on": "2026-01-01",
        },
        follow=True,
        **ZH,
    )
    page = response.content.decode()
    assert Policy.objects.filter(patient=patient, member_number="110-777").exists()
    assert "北京市职工基本医疗保险（门诊）" in page
    assert "¥1800.00" in page  # the whole deductible is left this year
    assert "保单已登记。" in page
    assert "剩余起付线" in page
    assert "Deductible left" not in page
    english = client.get("/insurance/", **EN).content.decode()
    assert "Beijing employee basic medical insurance (outpatient)" in english
    assert "Covered" in english


def test_a_patient_claims_an_outside_receipt_and_reads_the_outcome():
    policy = commercial_policy()
    client = signed_in(policy.patient.account)
    response = client.post(
        "/insurance/claims/",
        {
            "policy": policy.pk,
            "expense_reference": "INV-2026-0410",
            "service_date": DAY.isoformat(),
            "category": "visit",
            "description": "门诊诊疗费",
            "diagnosis": "j06.9",
            "amount": "300.00",
            "document": SimpleUploadedFile("receipt.pdf", PDF_BYTES),
        },
        follow=True,
        **EN,
    )
    claim = Claim.objects.get()
    assert claim.documents.count() == 1
    assert claim.lines.get().diagnoses == ["J06.9"]
    assert "Your claim is filed" in response.content.decode()

    claim_adjudicate(claim_id=claim.pk)
    zh = client.get(f"/insurance/claims/{claim.pk}/", **ZH).content.decode()
    assert "已核准" in zh
    assert "¥240.00" in zh
    assert "按保险条款由个人承担的比例部分" in zh
    en = client.get(f"/insurance/claims/{claim.pk}/", **EN).content.decode()
    assert "Your coinsurance share under the plan" in en
    assert "按保险条款" not in en


def test_another_patients_claim_page_is_not_found():
    policy = commercial_policy()
    claim = submit(policy)
    stranger = signed_in(UserFactory(roles=[Role.PATIENT]))
    assert stranger.get(f"/insurance/claims/{claim.pk}/").status_code == 404


def test_a_claims_officer_takes_and_decides_from_the_queue():
    policy = commercial_policy()
    claim = claim_adjudicate(claim_id=submit(policy, amounts=(150_000,)).pk)
    officer = UserFactory(roles=[Role.CLAIMS_OFFICER])
    activate_totp(officer)
    client = signed_in(officer)

    queue = client.get("/insurance/review/", **ZH).content.decode()
    assert "金额超过人工审核标准" in queue
    taken = client.post("/insurance/review/next/")
    assert taken.url == f"/insurance/review/{claim.pk}/"

    refused = client.post(
        taken.url, {"decision-1": "deny", "note-1": ""}, follow=True, **EN
    ).content.decode()
    assert "Say why, for the patient." in refused
    client.post(
        taken.url,
        {"decision-1": "adjust", "amount-1": "800.00", "note-1": "Receipt shows ¥800 paid"},
        **EN,
    )
    claim.refresh_from_db()
    assert (claim.status, claim.approved_fen) == (Claim.Status.APPROVED, 80_000)
    assert "No claim is waiting" in client.get("/insurance/review/", **EN).content.decode()


def test_the_review_queue_is_for_claims_officers_only():
    assert signed_in(UserFactory(roles=[Role.PATIENT])).get("/insurance/review/").status_code == 403


@pytest.fixture
def plans_seeded(db):
    demo.seed_demo_data(stdout=io.StringIO())
