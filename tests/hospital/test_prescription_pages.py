"""Doctor's prescribing pages: the form with live decision support (htmx), the detail with
signing, the patient's read-only view and the PDF download."""

from __future__ import annotations

import sys

import pytest

from hospital.prescriptions.models import Prescription
from tests.accounts.factories import activate_totp, totp_code
from tests.hospital.prescription_factories import (
    PrescribingConsultationFactory,
    draft,
    item,
    load_formulary,
    signed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _formulary():
    load_formulary()


def _login(client, user):
    activate_totp(user)
    client.force_login(user)
    return client


def _row(index=0, **values):
    data = {
        "drug_code": "amlodipine-5mg-tab",
        "dose": "5",
        "dose_unit": "mg",
        "route": "oral",
        "frequency": "QD",
        "duration_days": "7",
        "quantity_packs": "1",
        "instructions": "",
    }
    data.update(values)
    return {f"{k}_{index}": v for k, v in data.items()}


def test_consultation_page_links_to_the_form(client):
    consultation = PrescribingConsultationFactory()
    _login(client, consultation.doctor.user)
    page = client.get(f"/consultations/{consultation.pk}/")
    assert f"/consultations/{consultation.pk}/prescriptions/new/" in page.content.decode()


def test_form_renders_with_htmx_live_check(client):
    consultation = PrescribingConsultationFactory()
    _login(client, consultation.doctor.user)
    page = client.get(f"/consultations/{consultation.pk}/prescriptions/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'hx-post="/consultations/{consultation.pk}/prescriptions/check/"' in html
    assert "amlodipine-5mg-tab" in html


def test_live_check_renders_findings(client):
    consultation = PrescribingConsultationFactory()
    _login(client, consultation.doctor.user)
    data = {
        "diagnosis_codes": "I10",
        **_row(0, drug_code="enalapril-10mg-tab", dose="10"),
        **_row(1, drug_code="spironolactone-20mg-tab", dose="20"),
    }
    response = client.post(f"/consultations/{consultation.pk}/prescriptions/check/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "major" in html
    assert "高钾" in html
    assert Prescription.objects.count() == 0


def test_live_check_shows_a_rule_error(client):
    consultation = PrescribingConsultationFactory()
    _login(client, consultation.doctor.user)
    data = {"diagnosis_codes": "I10", **_row(0, quantity_packs="9")}
    response = client.post(f"/consultations/{consultation.pk}/prescriptions/check/", data)
    assert "items[0].quantity_packs" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dose", "NaN"),
        ("dose", "sNaN"),
        ("dose", "Infinity"),
        ("dose", "1e30"),
        ("dose", "99999999"),
        ("dose", "0.0001"),
        ("quantity_packs", "99999999999999"),
        ("dose_unit", "m" * 41),
    ],
)
@pytest.mark.parametrize("action", ["new", "check"])
def test_form_refuses_what_the_item_columns_cannot_hold(client, field, value, action):
    """The form hands raw text to the service; these once crashed it or the database."""
    consultation = PrescribingConsultationFactory()
    _login(client, consultation.doctor.user)
    response = client.post(
        f"/consultations/{consultation.pk}/prescriptions/{action}/",
        {"diagnosis_codes": "I10", **_row(0, **{field: value})},
    )
    assert response.status_code in (200, 400)
    assert f"items[0].{field}" in response.content.decode()
    assert Prescription.objects.count() == 0


@pytest.mark.parametrize("field", ["drug_code", "dose_unit", "route", "instructions"])
@pytest.mark.parametrize("action", ["new", "check"])
def test_form_refuses_a_nul_character_as_a_form_field_would(client, field, action):
    """Raw posted text reaches queries and text columns; PostgreSQL can hold no NUL."""
    consultation = PrescribingConsultationFactory()
    _login(client, consultation.doctor.user)
    response = client.post(
        f"/consultations/{consultation.pk}/prescriptions/{action}/",
        {"diagnosis_codes": "I10", **_row(0, **{field: "a\x00b"})},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code in (200, 400)
    assert "Null characters are not allowed." in response.content.decode()
    assert Prescription.objects.count() == 0


def test_signing_refuses_a_nul_character_in_an_override_reason(client):
    rx = draft(
        None, item("enalapril-10mg-tab", dose="10"), item("spironolactone-20mg-tab", dose="20")
    )
    _login(client, rx.doctor.user)
    data = {"totp_code": totp_code()}
    data.update(
        {f"override_{f.rule_id}": "监测\x00血钾" for f in rx.findings.filter(severity="major")}
    )
    response = client.post(f"/prescriptions/{rx.pk}/sign/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    rx.refresh_from_db()
    assert rx.status == Prescription.Status.DRAFT
    page = client.get(f"/prescriptions/{rx.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Null characters are not allowed." in page


def test_form_saves_a_draft_and_signing_with_a_code(client):
    consultation = PrescribingConsultationFactory()
    _login(client, consultation.doctor.user)
    response = client.post(
        f"/consultations/{consultation.pk}/prescriptions/new/",
        {"diagnosis_codes": "I10", **_row(0)},
    )
    rx = Prescription.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/prescriptions/{rx.pk}/"
    detail = client.get(f"/prescriptions/{rx.pk}/")
    assert 'name="totp_code"' in detail.content.decode()
    client.post(f"/prescriptions/{rx.pk}/sign/", {"totp_code": totp_code()})
    rx.refresh_from_db()
    assert rx.status == Prescription.Status.PENDING_REVIEW


def test_override_reason_inputs_for_major_findings(client):
    rx = draft(
        None, item("enalapril-10mg-tab", dose="10"), item("spironolactone-20mg-tab", dose="20")
    )
    _login(client, rx.doctor.user)
    html = client.get(f"/prescriptions/{rx.pk}/").content.decode()
    rule = rx.findings.get(severity="major", kind="interaction").rule_id
    assert f'name="override_{rule}"' in html
    data = {"totp_code": totp_code()}
    data.update({f"override_{f.rule_id}": "监测血钾" for f in rx.findings.filter(severity="major")})
    client.post(f"/prescriptions/{rx.pk}/sign/", data)
    rx.refresh_from_db()
    assert rx.status == Prescription.Status.PENDING_REVIEW


def test_form_refuses_with_the_rule_message(client):
    consultation = PrescribingConsultationFactory()
    _login(client, consultation.doctor.user)
    response = client.post(
        f"/consultations/{consultation.pk}/prescriptions/new/",
        {"diagnosis_codes": "J45.9", **_row(0)},
    )
    assert response.status_code == 400
    assert "diagnosis_codes" in response.content.decode()
    assert Prescription.objects.count() == 0


def test_other_doctor_gets_404_on_the_form(client):
    consultation = PrescribingConsultationFactory()
    _login(client, PrescribingConsultationFactory().doctor.user)
    assert client.get(f"/consultations/{consultation.pk}/prescriptions/new/").status_code == 404


def test_patient_sees_the_signed_prescription_without_signing_controls(client):
    rx = signed(None, item())
    client.force_login(rx.patient.account)
    page = client.get(f"/prescriptions/{rx.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "totp_code" not in html
    assert f"/prescriptions/{rx.pk}/pdf/" in html
    pdf = client.get(f"/prescriptions/{rx.pk}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"


def test_without_pdf_rendering_the_prescription_page_says_so_and_logs_no_export(
    client, monkeypatch
):
    from audit.models import AccessLogEntry

    rx = signed(None, item())
    client.force_login(rx.patient.account)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as on a server without Pango
    response = client.get(f"/prescriptions/{rx.pk}/pdf/")
    assert response.status_code == 503
    assert response["Cache-Control"] == "private, no-store"
    assert "PDF" in response.content.decode()
    assert not AccessLogEntry.objects.filter(object_id=rx.pk, action="export").exists()
