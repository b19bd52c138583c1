"""The explanation of benefits a patient reads for each settlement and claim: every line's
billed amount, what each payer paid and why the rest is theirs, in their language and as a PDF."""

from __future__ import annotations

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.explanationofbenefit import ExplanationOfBenefit
from rest_framework.test import APIClient

from accounts.roles import Role
from audit.models import AccessLogEntry
from insurance.models import Settlement
from insurance.selectors import explanation_of_benefits, settlement_get
from insurance.services import claim_adjudicate, settlement_confirm
from tests.accounts.factories import UserFactory
from tests.insurance.test_claims import commercial_policy, submit
from tests.insurance.test_settlement import insured_patient, quote

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def settled():
    patient, _ = insured_patient()
    settlement = settlement_confirm(settlement_id=quote(patient).pk)
    return patient, settlement


def test_the_eob_repeats_the_settlements_split_per_line_and_in_total():
    patient, settlement = settled()
    eob = explanation_of_benefits(
        settlement=settlement_get(account=patient.account, settlement_id=settlement.pk)
    )
    for line, row in zip(eob.lines, settlement.lines.order_by("id"), strict=True):
        assert line.billed_fen == row.billed_fen
        assert (line.social_pool_fen, line.account_fen, line.commercial_fen) == (
            row.pool_fen,
            row.account_fen,
            row.commercial_fen,
        )
        assert line.patient_fen == row.cash_fen
        assert line.social_pool_fen + line.account_fen + line.commercial_fen + line.patient_fen == (
            line.billed_fen
        )
        assert line.reasons
    assert eob.billed_fen == settlement.billed_fen == 65_000
    assert eob.patient_fen == settlement.cash_fen
    assert eob.account_fen == settlement.account_fen
    assert eob.insurer_fen + eob.account_fen + eob.patient_fen == eob.billed_fen


def test_the_settlement_pages_explain_in_chinese_and_in_english():
    patient, settlement = settled()
    client = signed_in(patient.account)
    listing = client.get("/insurance/settlements/", **EN)
    assert listing["Cache-Control"] == "private, no-store"
    assert f"/insurance/settlements/{settlement.pk}/" in listing.content.decode()
    en = client.get(f"/insurance/settlements/{settlement.pk}/", **EN)
    assert en["Cache-Control"] == "private, no-store"
    en_text = en.content.decode()
    assert "Explanation of benefits" in en_text
    assert "A category C item is self-paid: ¥50.00." in en_text
    assert "¥650.00" in en_text
    zh_text = client.get(f"/insurance/settlements/{settlement.pk}/", **ZH).content.decode()
    assert "费用结算说明" in zh_text
    assert "丙类" in zh_text
    assert "A category C item" not in zh_text


def test_another_accounts_settlement_and_claim_are_not_found():
    _, settlement = settled()
    claim = submit(commercial_policy())
    stranger = signed_in(UserFactory(roles=[Role.PATIENT]))
    assert stranger.get(f"/insurance/settlements/{settlement.pk}/").status_code == 404
    assert stranger.get(f"/insurance/settlements/{settlement.pk}/eob.pdf").status_code == 404
    assert stranger.get(f"/insurance/claims/{claim.pk}/eob.pdf").status_code == 404
    assert f"{settlement.reference}" not in stranger.get("/insurance/settlements/").content.decode()


def _pdf_or_skip(response):
    if response.status_code == 503:
        pytest.skip("PDF rendering is not available here")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF")


def test_the_settlement_eob_is_a_pdf_and_its_export_is_logged():
    patient, settlement = settled()
    _pdf_or_skip(
        signed_in(patient.account).get(f"/insurance/settlements/{settlement.pk}/eob.pdf", **ZH)
    )
    assert AccessLogEntry.objects.filter(
        patient=patient,
        object_type="insurance.settlement",
        object_id=str(settlement.pk),
        action="export",
    ).exists()


def test_the_claim_page_carries_its_eob_and_a_pdf():
    policy = commercial_policy()
    claim = claim_adjudicate(claim_id=submit(policy).pk)
    eob = explanation_of_benefits(claim=claim)
    assert eob.commercial_fen == claim.approved_fen
    assert eob.commercial_fen + eob.patient_fen == eob.billed_fen == claim.billed_fen
    client = signed_in(policy.patient.account)
    page = client.get(f"/insurance/claims/{claim.pk}/", **EN)
    assert page["Cache-Control"] == "private, no-store"
    assert "Explanation of benefits" in page.content.decode()
    _pdf_or_skip(client.get(f"/insurance/claims/{claim.pk}/eob.pdf", **EN))


def test_a_reversed_settlement_still_has_its_explanation():
    patient, settlement = settled()
    Settlement.objects.filter(pk=settlement.pk).update(status=Settlement.Status.REVERSED)
    text = signed_in(patient.account).get(f"/insurance/settlements/{settlement.pk}/", **EN)
    assert "Reversed" in text.content.decode()


def api_client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_lists_and_shows_settlements_with_their_reasons():
    patient, settlement = settled()
    quote(patient, reference="order:2")  # still only quoted
    client = api_client_for(patient.account)
    listing = client.get("/api/v1/settlements/", HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 200
    assert [row["reference"] for row in listing.json()["results"]] == ["order:2", "order:1"]
    confirmed = client.get("/api/v1/settlements/?status=confirmed").json()["results"]
    assert [row["id"] for row in confirmed] == [settlement.pk]
    assert client.get("/api/v1/settlements/?status=nonsense").status_code == 400

    detail = client.get(f"/api/v1/settlements/{settlement.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert detail.status_code == 200
    data = detail.json()
    assert data["billed"] == "650.00"
    assert len(data["lines"]) == 2
    texts = [reason["text"] for line in data["lines"] for reason in line["reasons"]]
    assert "A category C item is self-paid: ¥50.00." in texts


def test_the_api_does_not_show_another_accounts_settlement():
    _, settlement = settled()
    stranger = api_client_for(UserFactory(roles=[Role.PATIENT]))
    assert stranger.get(f"/api/v1/settlements/{settlement.pk}/").status_code == 404
    assert stranger.get("/api/v1/settlements/").json()["results"] == []


def test_the_fhir_bundle_carries_an_explanation_of_benefit_with_the_settlements_totals():
    patient, settlement = settled()
    quote(patient, reference="order:2")  # a quote is not final and stays out
    claim = claim_adjudicate(claim_id=submit(commercial_policy()).pk)  # another patient's
    data = api_client_for(patient.account).get(f"/api/v1/patients/{patient.pk}/fhir/").json()
    Bundle.model_validate(data)
    eobs = [
        entry["resource"]
        for entry in data["entry"]
        if entry["resource"]["resourceType"] == "ExplanationOfBenefit"
    ]
    assert len(eobs) == 1
    eob = eobs[0]
    ExplanationOfBenefit.model_validate(eob)
    assert eob["identifier"][0]["value"] == str(settlement.pk)
    assert (eob["status"], eob["use"], eob["outcome"]) == ("active", "claim", "complete")
    assert eob["patient"]["reference"] == data["entry"][0]["fullUrl"]
    totals = {t["category"]["coding"][0]["code"]: t["amount"] for t in eob["total"]}
    assert totals["submitted"] == {"value": 650, "currency": "CNY"}
    insured = settlement.insurer_fen + settlement.account_fen
    assert totals["benefit"]["value"] * 100 == pytest.approx(insured)
    assert totals["copay"]["value"] * 100 == pytest.approx(settlement.cash_fen)
    assert eob["payment"]["amount"] == totals["benefit"]
    for item, line in zip(eob["item"], settlement.lines.order_by("id"), strict=True):
        amounts = {
            a["category"]["coding"][0]["code"]: a["amount"]["value"] for a in item["adjudication"]
        }
        assert amounts["submitted"] * 100 == pytest.approx(line.billed_fen)
        assert amounts["copay"] * 100 == pytest.approx(line.cash_fen)
    assert eob["processNote"]
    assert claim.patient_id != patient.pk


def test_a_decided_claim_is_in_its_patients_fhir_bundle():
    policy = commercial_policy()
    claim = claim_adjudicate(claim_id=submit(policy).pk)
    patient = policy.patient
    data = api_client_for(patient.account).get(f"/api/v1/patients/{patient.pk}/fhir/").json()
    Bundle.model_validate(data)
    (eob,) = [
        e["resource"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == "ExplanationOfBenefit"
    ]
    totals = {t["category"]["coding"][0]["code"]: t["amount"]["value"] for t in eob["total"]}
    assert totals["submitted"] * 100 == pytest.approx(claim.billed_fen)
    assert totals["benefit"] * 100 == pytest.approx(claim.approved_fen)
