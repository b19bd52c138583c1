"""A supply beyond 7 days (处方管理办法 article 19: chronic and geriatric conditions) needs the
doctor's stated reason, which the prescription, its PDF and the pharmacist's page keep."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client

from hospital.prescriptions.models import Prescription
from hospital.prescriptions.pdf import prescription_pdf_context
from tests.accounts.app_login import app_client, browser_login, signed_in
from tests.accounts.factories import PharmacistUserFactory
from tests.hospital.prescription_factories import (
    PrescribingConsultationFactory,
    draft,
    item,
    item_payload,
    load_formulary,
    sign,
)

pytestmark = pytest.mark.django_db

REASON = "高血压病情稳定 6 个月，规律随访，需长期服用氨氯地平"
SESSIONS = pytest.mark.parametrize("session", ["app", "cookie"])


@pytest.fixture(autouse=True)
def _formulary():
    load_formulary()


def _create(client, consultation, days, **body):
    return client.post(
        f"/api/v1/consultations/{consultation.pk}/prescriptions/",
        {
            "items": [item_payload(duration_days=days)],
            "diagnosis_codes": ["I10"],
            **body,
        },
        format="json",
    )


@SESSIONS
@pytest.mark.parametrize("reason", ["", "   "])
def test_eight_days_of_amlodipine_for_hypertension_without_a_reason_is_refused(session, reason):
    consultation = PrescribingConsultationFactory()
    client = signed_in(session, consultation.doctor.user)
    response = _create(client, consultation, 8, long_term_reason=reason)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "long_term_reason_required"
    assert "long_term_reason" in body["errors"]
    assert Prescription.objects.count() == 0


@SESSIONS
def test_seven_days_need_no_reason(session):
    consultation = PrescribingConsultationFactory()
    client = signed_in(session, consultation.doctor.user)
    response = _create(client, consultation, 7)
    assert response.status_code == 201, response.content
    assert response.json()["is_long_term"] is False
    assert response.json()["long_term_reason"] == ""


@SESSIONS
@pytest.mark.parametrize("days", [8, 28])
def test_a_long_supply_with_the_reason_is_kept_on_the_prescription(session, days):
    consultation = PrescribingConsultationFactory()
    client = signed_in(session, consultation.doctor.user)
    response = _create(client, consultation, days, long_term_reason=f"  {REASON}  ")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["is_long_term"] is True
    assert body["supply_days"] == days
    assert body["long_term_reason"] == REASON
    read = client.get(f"/api/v1/prescriptions/{body['id']}/").json()
    assert read["long_term_reason"] == REASON


def test_a_long_supply_for_an_acute_diagnosis_is_refused_even_with_a_reason():
    consultation = PrescribingConsultationFactory(diagnoses=["J02.9"])
    client = app_client(consultation.doctor.user)
    response = client.post(
        f"/api/v1/consultations/{consultation.pk}/prescriptions/",
        {
            "items": [item_payload(duration_days=8)],
            "diagnosis_codes": ["J02.9"],
            "long_term_reason": REASON,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "supply_too_long"
    assert Prescription.objects.count() == 0


@SESSIONS
def test_clearing_the_reason_of_a_long_draft_is_refused_and_changes_nothing(session):
    rx = draft(None, item(duration_days=14), long_term_reason=REASON)
    client = signed_in(session, rx.doctor.user)
    response = client.patch(
        f"/api/v1/prescriptions/{rx.pk}/", {"long_term_reason": ""}, format="json"
    )
    assert response.status_code == 400
    assert "long_term_reason" in response.json()["errors"]
    rx.refresh_from_db()
    assert rx.long_term_reason == REASON
    # Lengthening a 7-day draft without a reason is refused the same way.
    short = draft(None, item())
    response = signed_in(session, short.doctor.user).patch(
        f"/api/v1/prescriptions/{short.pk}/",
        {"items": [item_payload(duration_days=10)]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "long_term_reason_required"
    assert short.items.get().duration_days == 7


def test_the_reason_is_on_the_pdf_and_the_pharmacists_review_page():
    rx = sign(draft(None, item(duration_days=28), long_term_reason=REASON))
    html = render_to_string(
        "hospital/prescriptions/prescription_pdf.html",
        prescription_pdf_context(rx, verify_url="https://example.test/verify"),
    )
    assert REASON in html
    assert "慢病" in html

    pharmacist = browser_login(Client(), PharmacistUserFactory())
    for language, label in (("en", "reason for the long-term supply"), ("zh-hans", "长期用量理由")):
        page = pharmacist.get(f"/pharmacist/review/{rx.pk}/", HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200
        text = page.content.decode()
        assert 'data-testid="long-term-reason"' in text
        assert label in text
        assert REASON in text


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "Reason for a supply over 7 days"), ("zh-hans", "超过 7 天用量的理由")],
)
def test_the_prescribing_form_asks_for_the_reason_and_refuses_without_it(language, label):
    consultation = PrescribingConsultationFactory()
    client = browser_login(Client(), consultation.doctor.user)
    form = client.get(
        f"/consultations/{consultation.pk}/prescriptions/new/", HTTP_ACCEPT_LANGUAGE=language
    )
    assert label in form.content.decode()
    posted = {
        "diagnosis_codes": "I10",
        "drug_code_0": "amlodipine-5mg-tab",
        "dose_0": "5",
        "dose_unit_0": "mg",
        "frequency_0": "QD",
        "duration_days_0": "8",
        "quantity_packs_0": "1",
    }
    refused = client.post(
        f"/consultations/{consultation.pk}/prescriptions/new/",
        posted,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert refused.status_code == 400
    assert 'id="form-error"' in refused.content.decode()
    assert Prescription.objects.count() == 0
    saved = client.post(
        f"/consultations/{consultation.pk}/prescriptions/new/",
        {**posted, "long_term_reason": REASON},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert saved.status_code == 302
    assert Prescription.objects.get().long_term_reason == REASON
