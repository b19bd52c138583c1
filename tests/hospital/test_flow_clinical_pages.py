"""What the doctor and the pharmacist see while they work: the record beside the chat,
findings by severity worst first, drugs by name, separate approve and reject forms, and no
"review next" over an empty queue."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.accounts.factories import PharmacistUserFactory, activate_totp
from tests.hospital.consultation_factories import OpenConsultationFactory
from tests.hospital.review_factories import DrugFactory, FindingFactory, PrescriptionFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _web(user) -> Client:
    activate_totp(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pharmacist_web():
    return _web(PharmacistUserFactory())


def test_review_next_is_hidden_while_the_queue_is_empty(pharmacist_web):
    html = pharmacist_web.get("/pharmacist/review/", **ZH).content.decode()
    assert "审核下一张处方" not in html
    assert 'data-testid="take-next"' not in html

    PrescriptionFactory()
    html = pharmacist_web.get("/pharmacist/review/", **ZH).content.decode()
    assert "审核下一张处方" in html


def test_the_approve_form_offers_no_rejection_reasons(pharmacist_web):
    rx = PrescriptionFactory()
    html = pharmacist_web.get(f"/pharmacist/review/{rx.pk}/", **EN).content.decode()
    approve = re.search(r"<form[^>]*review/\d+/approve/.*?</form>", html, re.S).group(0)
    reject = re.search(r"<form[^>]*review/\d+/reject/.*?</form>", html, re.S).group(0)
    assert "<select" not in approve
    assert 'name="approve-comment"' in approve
    assert 'name="reject-reason"' in reject

    response = pharmacist_web.post(f"/pharmacist/review/{rx.pk}/approve/", {"approve-comment": ""})
    assert response.status_code == 302
    rx.refresh_from_db()
    assert rx.status == "approved"
    assert rx.review_decision_reason == ""


def test_findings_are_worst_first_with_a_class_per_severity(pharmacist_web):
    rx = PrescriptionFactory()
    for severity, rule in [
        ("minor", "r-minor"),
        ("contraindicated", "r-ci"),
        ("moderate", "r-mod"),
    ]:
        FindingFactory(prescription=rx, severity=severity, rule_id=rule, override_reason="")
    html = pharmacist_web.get(f"/pharmacist/review/{rx.pk}/", **EN).content.decode()
    classes = re.findall(r'class="finding severity-(\w+)"', html)
    assert classes == ["contraindicated", "moderate", "minor"]


def test_the_record_sits_beside_the_chat_for_the_doctor_only():
    consultation = OpenConsultationFactory()
    doctor_html = _web(consultation.doctor.user).get(f"/consultations/{consultation.pk}/")
    assert 'class="consultation-layout with-record"' in doctor_html.content.decode()
    patient = Client()
    patient.force_login(consultation.patient.account)
    patient_html = patient.get(f"/consultations/{consultation.pk}/").content.decode()
    assert 'class="consultation-layout"' in patient_html


def test_the_prescription_form_names_drugs_in_the_pages_language():
    drug = DrugFactory(generic_name_zh="氨氯地平片", generic_name_en="Amlodipine", strength="5 mg")
    consultation = OpenConsultationFactory()
    web = _web(consultation.doctor.user)
    url = f"/consultations/{consultation.pk}/prescriptions/new/"

    html = web.get(url, **ZH).content.decode()
    assert f'<option value="{drug.code}">氨氯地平片 5 mg</option>' in html
    html = web.get(url, **EN).content.decode()
    assert f'<option value="{drug.code}">Amlodipine 5 mg</option>' in html
    assert f">{drug.code}<" not in html
