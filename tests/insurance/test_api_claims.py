"""The claims API: a patient files and follows a claim; a claims officer takes and decides it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.roles import Role
from insurance.models import Claim
from insurance.services import claim_adjudicate
from tests.accounts.factories import UserFactory
from tests.insurance.test_claims import DAY, PDF_BYTES, commercial_policy

pytestmark = pytest.mark.django_db

URL = "/api/v1/claims/"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(policy, reference="receipt:77", amount="300.00", **extra):
    return {
        "policy": policy.pk,
        "expense_reference": reference,
        "lines": [
            {
                "ref": "1",
                "service_date": DAY.isoformat(),
                "category": "visit",
                "code": "visit",
                "amount": amount,
            }
        ],
        **extra,
    }


def test_a_patient_files_a_claim_and_reads_why_in_their_language():
    policy = commercial_policy(deductible_met=0)
    patient = client_for(policy.patient.account)
    created = patient.post(URL, body(policy), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert created.status_code == 201
    claim_id = created.json()["id"]
    assert created.json()["status"] == "submitted"
    # The same key and body answer the same again, and file nothing twice.
    again = patient.post(URL, body(policy), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert again.json()["id"] == claim_id
    assert Claim.objects.count() == 1

    claim_adjudicate(claim_id=claim_id)
    zh = patient.get(f"{URL}{claim_id}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    en = patient.get(f"{URL}{claim_id}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert zh["status"] == "approved"
    assert zh["approved"] == "80.00"  # ¥200 deductible first, then 80 % of ¥100
    assert "起付线" in " ".join(reason["text"] for reason in zh["lines"][0]["reasons"])
    assert "deductible" in " ".join(reason["text"] for reason in en["lines"][0]["reasons"])
    assert [c["id"] for c in patient.get(URL).json()["results"]] == [claim_id]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "0"}, "lines"),
        ({"amount": "abc"}, "lines"),
        ({"expense_reference": ""}, "expense_reference"),
    ],
)
def test_bad_claims_name_the_field_and_file_nothing(change, field):
    policy = commercial_policy()
    values = body(policy)
    if "amount" in change:
        values["lines"][0]["amount"] = change["amount"]
    else:
        values.update(change)
    response = client_for(policy.patient.account).post(URL, values, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Claim.objects.exists()


def test_the_same_expense_twice_is_a_conflict():
    policy = commercial_policy()
    patient = client_for(policy.patient.account)
    patient.post(URL, body(policy), format="json")
    response = patient.post(URL, body(policy), format="json")
    assert (response.status_code, response.json()["code"]) == (409, "already_claimed")


def test_another_patients_claim_is_not_found():
    policy = commercial_policy()
    claim_id = (
        client_for(policy.patient.account).post(URL, body(policy), format="json").json()["id"]
    )
    stranger = client_for(UserFactory(roles=[Role.PATIENT]))
    assert stranger.get(f"{URL}{claim_id}/").status_code == 404
    upload = SimpleUploadedFile("r.pdf", PDF_BYTES, content_type="application/pdf")
    assert stranger.post(f"{URL}{claim_id}/documents/", {"file": upload}).status_code == 404


def test_a_patient_attaches_a_receipt():
    policy = commercial_policy()
    patient = client_for(policy.patient.account)
    claim_id = patient.post(URL, body(policy, is_outside_receipt=True), format="json").json()["id"]
    upload = SimpleUploadedFile("r.pdf", PDF_BYTES, content_type="application/pdf")
    response = patient.post(f"{URL}{claim_id}/documents/", {"file": upload})
    assert response.status_code == 201
    assert response.json()["content_type"] == "application/pdf"
    assert len(patient.get(f"{URL}{claim_id}/").json()["documents"]) == 1


def test_a_claims_officer_takes_and_decides_a_claim():
    policy = commercial_policy()
    patient = client_for(policy.patient.account)
    claim_id = patient.post(URL, body(policy, amount="1500.00"), format="json").json()["id"]
    claim_adjudicate(claim_id=claim_id)
    officer = client_for(UserFactory(roles=[Role.CLAIMS_OFFICER]))

    taken = officer.post(f"{URL}next/")
    assert (taken.status_code, taken.json()["id"]) == (200, claim_id)
    assert taken.json()["review_reason"] == "over_threshold"
    decided = officer.post(
        f"{URL}{claim_id}/decide/",
        {"lines": [{"ref": "1", "decision": "adjust", "amount": "900.00", "note": "发票金额"}]},
        format="json",
    )
    assert decided.status_code == 200
    assert (decided.json()["status"], decided.json()["approved"]) == ("approved", "900.00")
    assert officer.post(f"{URL}next/").status_code == 204
    assert patient.get(f"{URL}{claim_id}/").json()["lines"][0]["decision_note"] == "发票金额"


def test_only_claims_officers_work_the_queue():
    policy = commercial_policy()
    patient = client_for(policy.patient.account)
    assert patient.post(f"{URL}next/").status_code == 403
    claim_id = patient.post(URL, body(policy), format="json").json()["id"]
    response = patient.post(
        f"{URL}{claim_id}/decide/", {"lines": [{"ref": "1", "decision": "approve"}]}, format="json"
    )
    assert response.status_code == 403


def test_the_claim_list_reads_in_constant_queries(django_assert_num_queries):
    policy = commercial_policy()
    patient = client_for(policy.patient.account)
    for n in range(4):
        patient.post(URL, body(policy, reference=f"r{n}"), format="json")
    with django_assert_num_queries(2):  # the count and the page, whatever its size
        assert len(patient.get(URL).json()["results"]) == 4
