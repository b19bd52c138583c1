"""Signing and checking a prescription as the mobile app does (allauth's app session token)
and as the web pages do (the cookie session): the same second-factor window, a code that a
refused signing leaves usable, a draft marked when it could not be checked, ages in words."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from hospital.prescriptions.decision_support.age import age_in_words
from hospital.prescriptions.models import Prescription
from tests.accounts.app_login import app_client, browser_login, signed_in
from tests.accounts.factories import PatientProfileFactory, totp_code
from tests.hospital.prescription_factories import (
    PrescribingConsultationFactory,
    draft,
    item,
    item_payload,
    load_formulary,
)

pytestmark = pytest.mark.django_db

ENALAPRIL = item("enalapril-10mg-tab", dose="10", quantity_packs=1)
SPIRONOLACTONE = item("spironolactone-20mg-tab", dose="20", quantity_packs=1)


@pytest.fixture(autouse=True)
def _formulary():
    load_formulary()


SESSIONS = pytest.mark.parametrize("session", ["app", "cookie"])


def _sign(client, rx, **body):
    return client.post(f"/api/v1/prescriptions/{rx.pk}/sign/", body, format="json")


# --- the second factor confirmed at login counts for 5 minutes, in either session -------------


@SESSIONS
def test_a_doctor_signed_in_with_totp_signs_without_another_code_within_five_minutes(session):
    rx = draft(None, item())
    logged_in_at = timezone.now()
    with time_machine.travel(logged_in_at, tick=False):
        client = signed_in(session, rx.doctor.user)
    with time_machine.travel(logged_in_at + dt.timedelta(minutes=4, seconds=50), tick=False):
        response = _sign(client, rx)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending_review"
    assert rx.events.get(kind="signed").detail["second_factor"] == "session"


@SESSIONS
def test_after_five_minutes_signing_asks_for_a_code_again(session):
    rx = draft(None, item())
    logged_in_at = timezone.now()
    with time_machine.travel(logged_in_at, tick=False):
        client = signed_in(session, rx.doctor.user)
    with time_machine.travel(logged_in_at + dt.timedelta(minutes=5, seconds=10), tick=False):
        refused = _sign(client, rx)
        assert refused.status_code == 403
        assert refused.json()["code"] == "mfa_required"
        assert Prescription.objects.get(pk=rx.pk).status == Prescription.Status.DRAFT
        response = _sign(client, rx, totp_code=totp_code())
    assert response.status_code == 200, response.content
    assert rx.events.get(kind="signed").detail["second_factor"] == "totp"


def test_another_doctors_app_login_does_not_count_for_this_prescription():
    rx = draft(None, item())
    other = PrescribingConsultationFactory().doctor.user
    response = _sign(app_client(other), rx)
    assert response.status_code == 404
    assert Prescription.objects.get(pk=rx.pk).status == Prescription.Status.DRAFT


# --- a refused signing does not use up the code -----------------------------------------------


@SESSIONS
def test_a_code_refused_for_missing_override_reasons_signs_on_the_retry(session):
    rx = draft(None, ENALAPRIL, SPIRONOLACTONE)
    logged_in_at = timezone.now()
    with time_machine.travel(logged_in_at, tick=False):
        client = signed_in(session, rx.doctor.user)
    # Past the login's 5 minutes: signing needs the code from the authenticator.
    with time_machine.travel(logged_in_at + dt.timedelta(minutes=6), tick=False):
        code = totp_code()
        refused = _sign(client, rx, totp_code=code)
        assert refused.status_code == 409
        assert refused.json()["code"] == "override_reason_required"
        reasons = {f["rule_id"]: "心衰，每周查血钾" for f in refused.json()["findings"]}

        response = _sign(client, rx, totp_code=code, override_reasons=reasons)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "pending_review"


def test_a_signed_code_cannot_sign_again():
    first = draft(None, item())
    second = draft(
        first.consultation, item("metformin-500mg-tab", dose="500"), diagnosis_codes=["E11.9"]
    )
    logged_in_at = timezone.now()
    with time_machine.travel(logged_in_at, tick=False):
        client = app_client(first.doctor.user)
    with time_machine.travel(logged_in_at + dt.timedelta(minutes=6), tick=False):
        code = totp_code()
        assert _sign(client, first, totp_code=code).status_code == 200
        replay = _sign(client, second, totp_code=code)
    assert replay.status_code == 403
    assert "totp_code" in replay.json()["errors"]
    assert Prescription.objects.get(pk=second.pk).status == Prescription.Status.DRAFT


@SESSIONS
def test_a_wrong_code_is_refused_before_anything_else(session):
    rx = draft(None, ENALAPRIL, SPIRONOLACTONE)
    logged_in_at = timezone.now()
    with time_machine.travel(logged_in_at, tick=False):
        client = signed_in(session, rx.doctor.user)
    with time_machine.travel(logged_in_at + dt.timedelta(minutes=6), tick=False):
        response = _sign(client, rx, totp_code="000000")
    assert response.status_code == 403
    assert "totp_code" in response.json()["errors"]
    assert Prescription.objects.get(pk=rx.pk).status == Prescription.Status.DRAFT


# --- a draft that decision support could not check says so ------------------------------------


@SESSIONS
def test_a_draft_saved_without_knowledge_is_marked_unchecked(session, settings, tmp_path):
    consultation = PrescribingConsultationFactory()
    client = signed_in(session, consultation.doctor.user)
    settings.CLINICAL_KNOWLEDGE_DIR = str(tmp_path)
    response = client.post(
        f"/api/v1/consultations/{consultation.pk}/prescriptions/",
        {"items": [item_payload()], "diagnosis_codes": ["I10"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["decision_support_checked"] is False
    assert body["knowledge_version"] == ""
    assert body["findings"] == []
    listed = client.get("/api/v1/prescriptions/?status=draft").json()["results"]
    assert [r["decision_support_checked"] for r in listed] == [False]

    del settings.CLINICAL_KNOWLEDGE_DIR  # the shipped knowledge files again
    checked = client.post(f"/api/v1/prescriptions/{body['id']}/check/")
    assert checked.status_code == 200
    again = client.get(f"/api/v1/prescriptions/{body['id']}/").json()
    assert again["decision_support_checked"] is True
    assert again["knowledge_version"]


@pytest.mark.parametrize(
    ("language", "unchecked", "no_warnings"),
    [("en", "Not checked", "No warnings."), ("zh-hans", "未经审核", "暂无警示")],
)
def test_the_page_says_an_unchecked_draft_was_not_checked(
    settings, tmp_path, language, unchecked, no_warnings
):
    consultation = PrescribingConsultationFactory()
    client = browser_login(Client(), consultation.doctor.user)
    settings.CLINICAL_KNOWLEDGE_DIR = str(tmp_path)
    saved = client.post(
        f"/consultations/{consultation.pk}/prescriptions/new/",
        {
            "diagnosis_codes": "I10",
            "drug_code_0": "amlodipine-5mg-tab",
            "dose_0": "5",
            "dose_unit_0": "mg",
            "frequency_0": "QD",
            "duration_days_0": "7",
            "quantity_packs_0": "1",
        },
        HTTP_ACCEPT_LANGUAGE=language,
        follow=True,
    )
    assert saved.status_code == 200
    page = saved.content.decode()
    assert 'data-testid="unchecked"' in page
    assert unchecked in page
    assert no_warnings not in page
    rx = Prescription.objects.get(consultation=consultation)
    assert rx.decision_support_checked is False


def test_a_checked_draft_without_findings_shows_no_warnings_and_no_unchecked_notice():
    rx = draft(None, item())
    client = browser_login(Client(), rx.doctor.user)
    page = client.get(f"/prescriptions/{rx.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert rx.decision_support_checked is True
    assert 'data-testid="unchecked"' not in page


# --- ages in findings are years, or years and months under 2 ----------------------------------


@pytest.mark.parametrize(
    ("days", "english", "chinese"),
    [
        (0, "0 days", "0天"),
        (20, "20 days", "20天"),
        (31, "1 month", "1个月"),
        (200, "6 months", "6个月"),
        (366, "1 year", "1岁"),
        (548, "1 year 6 months", "1岁6个月"),
        (729, "1 year 11 months", "1岁11个月"),
        (731, "2 years", "2岁"),
        (3713, "10 years", "10岁"),  # 10.1656 years: the figure findings used to print
        (int(17.99 * 365.25), "17 years", "17岁"),
    ],
)
def test_age_in_words(days, english, chinese):
    assert age_in_words(days / 365.25) == (english, chinese)


@SESSIONS
@pytest.mark.parametrize(
    ("age_days", "guardian", "english", "chinese"),
    [
        (3713, "", "patient is 10 years", "患者10岁"),
        (548, "王芳（母亲）", "patient is 1 year 6 months", "患者1岁6个月"),
    ],
)
def test_a_paediatric_finding_gives_the_age_in_years_and_months(
    session, age_days, guardian, english, chinese
):
    patient = PatientProfileFactory(birth_date=timezone.localdate() - dt.timedelta(days=age_days))
    consultation = PrescribingConsultationFactory(patient=patient, diagnoses=["E11.9"])
    client = signed_in(session, consultation.doctor.user)
    response = client.post(
        f"/api/v1/consultations/{consultation.pk}/prescriptions/",
        {
            "items": [item_payload(drug_code="glimepiride-2mg-tab", dose="1")],
            "diagnosis_codes": ["E11.9"],
            "guardian_name": guardian,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    (finding,) = [f for f in response.json()["findings"] if f["kind"] == "paediatric_age"]
    assert english in finding["message"]
    assert "under 18 years" in finding["message"]
    assert chinese in finding["message_zh"]
    assert "18岁以下" in finding["message_zh"]
    assert "." not in finding["message"].split("patient is ")[1].split(")")[0]

    if session == "cookie":
        rx_id = response.json()["id"]
        page_en = client.get(f"/prescriptions/{rx_id}/", HTTP_ACCEPT_LANGUAGE="en")
        page_zh = client.get(f"/prescriptions/{rx_id}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert english in page_en.content.decode()
        assert chinese in page_zh.content.decode()
