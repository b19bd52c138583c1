"""Prescription API: who sees what (404 for anyone else), lists with pinned queries, drafts
changed by PATCH, and the PDF (rendered, escaped)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.template.loader import render_to_string

from accounts.roles import Role
from hospital.prescriptions.models import Prescription
from hospital.prescriptions.pdf import prescription_pdf_context
from tests.accounts.factories import UserFactory
from tests.hospital.consultation_factories import api_client_for
from tests.hospital.prescription_factories import (
    PrescribingConsultationFactory,
    draft,
    item,
    item_payload,
    load_formulary,
    signed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _formulary():
    load_formulary()


def _pharmacist():
    user = UserFactory()
    user.groups.add(Group.objects.get_or_create(name=Role.PHARMACIST)[0])
    return user


def test_doctor_and_patient_see_the_signed_prescription():
    rx = signed(None, item())
    for user in (rx.doctor.user, rx.patient.account, _pharmacist()):
        response = api_client_for(user).get(f"/api/v1/prescriptions/{rx.pk}/")
        assert response.status_code == 200, user
        assert response.json()["id"] == rx.pk


def test_another_doctor_or_patient_gets_404():
    rx = signed(None, item())
    other = PrescribingConsultationFactory()
    for user in (other.doctor.user, other.patient.account):
        client = api_client_for(user)
        assert client.get(f"/api/v1/prescriptions/{rx.pk}/").status_code == 404
        assert client.get(f"/api/v1/prescriptions/{rx.pk}/pdf/").status_code == 404
        assert client.get(f"/api/v1/prescriptions/{rx.pk}/verify/").status_code == 404
        assert client.patch(f"/api/v1/prescriptions/{rx.pk}/", {}, format="json").status_code in (
            404,
            409,
        )


def test_a_draft_is_the_doctors_own():
    rx = draft(None, item())
    assert (
        api_client_for(rx.patient.account).get(f"/api/v1/prescriptions/{rx.pk}/").status_code == 404
    )
    assert api_client_for(_pharmacist()).get(f"/api/v1/prescriptions/{rx.pk}/").status_code == 404


def test_patch_changes_a_draft_and_is_checked_again():
    rx = draft(None, item())
    client = api_client_for(rx.doctor.user)
    response = client.patch(
        f"/api/v1/prescriptions/{rx.pk}/",
        {
            "items": [
                item_payload(drug_code="enalapril-10mg-tab", dose="10"),
                item_payload(drug_code="spironolactone-20mg-tab", dose="20"),
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert [i["drug_code"] for i in response.json()["items"]] == [
        "enalapril-10mg-tab",
        "spironolactone-20mg-tab",
    ]
    assert response.json()["risk_rank"] == 3
    bad = client.patch(
        f"/api/v1/prescriptions/{rx.pk}/",
        {"items": [item_payload(quantity_packs=9)]},
        format="json",
    )
    assert bad.status_code == 400
    assert "items[0].quantity_packs" in bad.json()["errors"]
    assert Prescription.objects.get(pk=rx.pk).items.count() == 2


def test_a_signed_prescription_cannot_be_patched():
    rx = signed(None, item())
    response = api_client_for(rx.doctor.user).patch(
        f"/api/v1/prescriptions/{rx.pk}/", {"guardian_name": "x"}, format="json"
    )
    assert response.status_code == 409


def test_list_filters_by_status_and_pins_queries(django_assert_max_num_queries):
    consultation = PrescribingConsultationFactory()
    for _ in range(2):
        signed(consultation, item())
    draft(consultation, item())
    client = api_client_for(consultation.doctor.user)
    with django_assert_max_num_queries(12) as small:
        response = client.get("/api/v1/prescriptions/", {"status": "pending_review"})
    assert response.json()["count"] == 2
    for _ in range(5):
        signed(consultation, item())
    with django_assert_max_num_queries(12) as large:
        response = client.get("/api/v1/prescriptions/", {"status": "pending_review"})
    assert response.json()["count"] == 7
    assert len(large.captured_queries) == len(small.captured_queries)
    patient_view = api_client_for(consultation.patient.account).get("/api/v1/prescriptions/")
    assert patient_view.json()["count"] == 7  # the draft is not the patient's to see
    assert (
        api_client_for(PrescribingConsultationFactory().doctor.user)
        .get("/api/v1/prescriptions/")
        .json()["count"]
        == 0
    )


def test_list_refuses_an_unknown_status():
    rx = draft(None, item())
    response = api_client_for(rx.doctor.user).get("/api/v1/prescriptions/", {"status": "nope"})
    assert response.status_code == 400


def test_pdf_renders_for_patient_doctor_and_pharmacist():
    rx = signed(None, item(instructions="饭后服用"))
    for user in (rx.patient.account, rx.doctor.user, _pharmacist()):
        response = api_client_for(user).get(f"/api/v1/prescriptions/{rx.pk}/pdf/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response).startswith(b"%PDF-")


def test_pdf_escapes_user_content():
    rx = signed(None, item(instructions="<script>alert(1)</script>"))
    html = render_to_string(
        "hospital/prescriptions/prescription_pdf.html",
        prescription_pdf_context(rx, verify_url="https://example.test/verify"),
    )
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "处方笺" in html
    assert "杏林互联网医院" in html
    assert "普通" in html
    assert "data:image/png;base64," in html


def test_long_term_prescription_is_labelled_chronic():
    rx = signed(None, item(duration_days=28), long_term_reason="高血压病情稳定，规律随访")
    html = render_to_string(
        "hospital/prescriptions/prescription_pdf.html",
        prescription_pdf_context(rx, verify_url="https://example.test/verify"),
    )
    assert "慢病" in html
    assert "高血压病情稳定，规律随访" in html
