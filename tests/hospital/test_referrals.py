"""Referral out and back (分诊转诊): the letter, booking the partner's clinic slot through the
ordinary booking, and the outcome recorded back into the health record."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from audit.models import AccessLogEntry
from core.pdf import PdfRenderingUnavailable
from hospital.booking.models import Appointment
from hospital.consultations import referral_letter
from hospital.consultations.models import PartnerDepartment, PartnerHospital, Referral
from hospital.consultations.services import referrals as services
from tests.hospital.consultation_factories import api_client_for
from tests.hospital.factories import DoctorFactory, SlotFactory
from tests.hospital.prescription_factories import PrescribingConsultationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation():
    return PrescribingConsultationFactory()


@pytest.fixture
def clinic_doctor():
    return DoctorFactory(name="合作医院门诊", tier="contracted")


@pytest.fixture
def partner(clinic_doctor):
    hospital = PartnerHospital.objects.create(
        name="杭州市第一人民医院",
        level=PartnerHospital.Level.TERTIARY,
        city="杭州",
        address="浙江省杭州市上城区浣纱路261号",
    )
    return PartnerDepartment.objects.create(
        hospital=hospital, name="呼吸与危重症医学科", clinic_doctor=clinic_doctor
    )


def refer(consultation, partner) -> Referral:
    return services.referral_create(
        doctor_user=consultation.doctor.user,
        consultation_id=consultation.pk,
        partner_department_id=partner.pk,
        reason="慢性咳嗽两个月，需肺功能检查",
        clinical_summary="高血压、2型糖尿病",
    )


def test_treating_doctor_refers_and_the_patient_is_told(
    consultation, partner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(consultation.doctor.user).post(
            f"/api/v1/consultations/{consultation.pk}/referrals/",
            {"partner_department": partner.pk, "reason": "慢性咳嗽两个月，需肺功能检查"},
            format="json",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "issued"
    assert body["letter_number"].startswith("XL-ZZ-")
    assert body["partner_department"]["books_through_us"] is True
    assert consultation.patient.account.notifications.filter(
        kind="hospital.referral_issued"
    ).exists()
    # The patient reads it in the chat too.
    assert consultation.messages.filter(kind="system", body__contains="呼吸").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"reason": "慢性咳嗽两个月"}, "partner_department"),
        ({"partner_department": 999999, "reason": "慢性咳嗽两个月"}, "partner_department"),
        ({"partner_department": "abc", "reason": "慢性咳嗽两个月"}, "partner_department"),
        ({"partner_department": 0, "reason": ""}, "reason"),
        ({"partner_department": 0, "reason": "咳"}, "reason"),
    ],
)
def test_bad_referrals_are_400_and_change_nothing(consultation, partner, payload, field):
    if payload.get("partner_department") == 0:
        payload = {**payload, "partner_department": partner.pk}
    response = api_client_for(consultation.doctor.user).post(
        f"/api/v1/consultations/{consultation.pk}/referrals/", payload, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in str(response.json())
    assert not Referral.objects.exists()


def test_an_inactive_partner_takes_no_referral(consultation, partner):
    PartnerHospital.objects.filter(pk=partner.hospital_id).update(is_active=False)
    with pytest.raises(services.DomainError):
        refer(consultation, partner)


def test_another_doctor_cannot_refer_nor_see_the_referral(consultation, partner):
    stranger = api_client_for(DoctorFactory().user)
    response = stranger.post(
        f"/api/v1/consultations/{consultation.pk}/referrals/",
        {"partner_department": partner.pk, "reason": "慢性咳嗽两个月"},
        format="json",
    )
    assert response.status_code == 404
    referral = refer(consultation, partner)
    assert stranger.get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
    assert stranger.get(f"/api/v1/referrals/{referral.pk}/letter/").status_code == 404
    outcome = stranger.post(f"/api/v1/referrals/{referral.pk}/outcome/", {"outcome": "seen"})
    assert outcome.status_code == 404


def test_the_letter_is_a_pdf_with_the_patient_and_the_reason(consultation, partner):
    referral = refer(consultation, partner)
    context = referral_letter.referral_letter_context(referral)
    assert context["patient"] == consultation.patient
    html = referral_letter.render_to_string(
        "hospital/consultations/referral_letter_pdf.html", context
    )
    assert "转诊单" in html
    assert referral.letter_number in html
    assert "慢性咳嗽两个月" in html
    assert "I10" in html

    client = api_client_for(consultation.patient.account)
    with mock.patch.object(referral_letter, "html_to_pdf", return_value=b"%PDF-1.7 letter"):
        response = client.get(f"/api/v1/referrals/{referral.pk}/letter/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    export = AccessLogEntry.objects.order_by("-sequence").first()
    assert (export.action, export.object_type, export.patient_id) == (
        "export",
        "referral",
        consultation.patient_id,
    )


def test_the_letter_renders_cjk_with_weasyprint_where_available(consultation, partner):
    referral = refer(consultation, partner)
    try:
        pdf = referral_letter.referral_letter_pdf_bytes(referral)
    except PdfRenderingUnavailable:
        pytest.skip("WeasyPrint or Pango is not installed here")
    assert pdf.startswith(b"%PDF")


def test_the_letter_page_answers_503_when_pdfs_cannot_be_made(consultation, partner, client):
    referral = refer(consultation, partner)
    client.force_login(consultation.patient.account)
    with mock.patch.object(
        referral_letter, "html_to_pdf", side_effect=PdfRenderingUnavailable("no pango")
    ):
        response = client.get(f"/referrals/{referral.pk}/letter.pdf")
    assert response.status_code == 503


def test_the_patient_books_the_partners_clinic_slot_through_booking(
    consultation, partner, clinic_doctor
):
    referral = refer(consultation, partner)
    slot = SlotFactory(
        doctor=clinic_doctor,
        mode="video",
        starts_at=timezone.now() + dt.timedelta(days=2),
        ends_at=timezone.now() + dt.timedelta(days=2, minutes=15),
    )
    other_doctors_slot = SlotFactory(mode="video")
    client = api_client_for(consultation.patient.account)

    slots = client.get(f"/api/v1/referrals/{referral.pk}/slots/").json()
    assert [s["id"] for s in slots] == [slot.pk]

    wrong = client.post(f"/api/v1/referrals/{referral.pk}/book/", {"slot": other_doctors_slot.pk})
    assert wrong.status_code == 400
    assert "slot" in str(wrong.json())

    response = client.post(f"/api/v1/referrals/{referral.pk}/book/", {"slot": slot.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "booked"
    appointment = Appointment.objects.get(pk=body["appointment"]["id"])
    assert (appointment.slot, appointment.patient, appointment.status) == (
        slot,
        consultation.patient,
        Appointment.Status.PENDING_PAYMENT,
    )
    assert referral.letter_number in appointment.chief_complaint
    slot.refresh_from_db()
    assert slot.booked_count == 1

    again = client.post(f"/api/v1/referrals/{referral.pk}/book/", {"slot": slot.pk})
    assert again.status_code == 409
    # The doctor cannot book on the patient's account.
    doctor = api_client_for(consultation.doctor.user)
    assert (
        doctor.post(f"/api/v1/referrals/{referral.pk}/book/", {"slot": slot.pk}).status_code == 404
    )


def test_a_department_without_clinic_slots_cannot_be_booked(consultation, partner):
    PartnerDepartment.objects.filter(pk=partner.pk).update(clinic_doctor=None)
    referral = refer(consultation, partner)
    client = api_client_for(consultation.patient.account)
    assert client.get(f"/api/v1/referrals/{referral.pk}/slots/").json() == []
    response = client.post(f"/api/v1/referrals/{referral.pk}/book/", {"slot": 1})
    assert response.status_code == 409


def test_the_outcome_goes_back_into_the_health_record(
    consultation, partner, clinic_doctor, django_capture_on_commit_callbacks
):
    referral = refer(consultation, partner)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(clinic_doctor.user).post(
            f"/api/v1/referrals/{referral.pk}/outcome/",
            {"outcome": "admitted", "notes": "肺炎，收住院治疗"},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["outcome"]) == ("completed", "admitted")
    assert consultation.patient.account.notifications.filter(
        kind="hospital.referral_outcome"
    ).exists()

    record = api_client_for(consultation.patient.account).get(
        f"/api/v1/patients/{consultation.patient_id}/record/"
    )
    brief = next(c for c in record.json()["consultations"] if c["id"] == consultation.pk)
    assert brief["referrals"][0]["outcome"] == "admitted"
    assert brief["referrals"][0]["outcome_notes"] == "肺炎，收住院治疗"

    twice = api_client_for(consultation.doctor.user).post(
        f"/api/v1/referrals/{referral.pk}/outcome/", {"outcome": "seen"}, format="json"
    )
    assert twice.status_code == 409


def test_a_bad_outcome_is_400(consultation, partner):
    referral = refer(consultation, partner)
    response = api_client_for(consultation.doctor.user).post(
        f"/api/v1/referrals/{referral.pk}/outcome/", {"outcome": "cured"}, format="json"
    )
    assert response.status_code == 400
    assert "outcome" in str(response.json())
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ISSUED


def test_the_referring_doctor_withdraws_an_unbooked_referral(consultation, partner):
    referral = refer(consultation, partner)
    response = api_client_for(consultation.doctor.user).post(
        f"/api/v1/referrals/{referral.pk}/cancel/"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    patient = api_client_for(consultation.patient.account)
    assert patient.post(f"/api/v1/referrals/{referral.pk}/book/", {"slot": 1}).status_code == 409


def test_list_queries_are_constant(consultation, partner, django_assert_max_num_queries):
    for _ in range(2):
        refer(consultation, partner)
    client = api_client_for(consultation.patient.account)
    client.get("/api/v1/referrals/")
    with django_assert_max_num_queries(12) as few:
        client.get("/api/v1/referrals/")
    for _ in range(5):
        refer(consultation, partner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/referrals/").json()["results"]) == 7
