"""The patient's way from paying a booking to the consultation, and the doctor's 接诊 button,
as the pages show them."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from audit.models import AccessLogEntry
from hospital.booking.models import Appointment
from hospital.booking.services.appointments import appointment_book
from tests.accounts.factories import activate_totp
from tests.hospital.consultation_factories import (
    ConfirmedAppointmentFactory,
    DueSlotFactory,
    OpenConsultationFactory,
)
from tests.hospital.factories import SlotFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def web(patient):
    client = Client()
    client.force_login(patient.account)
    return client


def _booked(patient, slot) -> Appointment:
    return appointment_book(
        account=patient.account,
        patient_id=patient.pk,
        slot_id=slot.pk,
        mode=slot.mode,
        visit_type="follow_up",
        chief_complaint="高血压复诊，需要调整用药",
    )


def test_paying_a_booking_says_so_and_says_when_the_consultation_opens(web, patient, slot):
    appointment = _booked(patient, slot)
    response = web.post(
        f"/payments/sandbox/{appointment.payment.token}/", {"choice": "pay"}, follow=True, **EN
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/appointments/"
    assert "Payment received: ¥80.00" in html
    assert 'data-testid="consultation-opens"' in html
    opens = timezone.localtime(slot.starts_at - dt.timedelta(minutes=10))
    assert f"The consultation opens at {opens:%Y-%m-%d %H:%M}." in html


def test_the_success_message_is_in_chinese_on_a_chinese_page(web, patient, slot):
    appointment = _booked(patient, slot)
    html = web.post(
        f"/payments/sandbox/{appointment.payment.token}/", {"choice": "pay"}, follow=True, **ZH
    ).content.decode()
    assert "已收到付款" in html
    assert "问诊将于" in html


def test_a_declined_payment_says_nothing_was_charged(web, patient, slot):
    appointment = _booked(patient, slot)
    html = web.post(
        f"/payments/sandbox/{appointment.payment.token}/", {"choice": "decline"}, follow=True, **EN
    ).content.decode()
    assert "nothing was charged" in html
    assert "Payment received" not in html


def test_the_payment_callback_is_the_payment_system_in_the_patients_access_log(web, patient, slot):
    appointment = _booked(patient, slot)
    web.post(f"/payments/sandbox/{appointment.payment.token}/", {"choice": "pay"})

    entry = AccessLogEntry.objects.filter(
        patient_id=patient.pk, object_type="appointment", detail__startswith="confirm"
    ).get()
    assert entry.actor_id is None
    assert entry.actor_role == "system:payments.sandbox"
    html = web.get(f"/records/{patient.pk}/access-log/", **ZH).content.decode()
    assert "支付系统" in html
    assert "未登录的访问者" not in html
    html = web.get(f"/records/{patient.pk}/access-log/", **EN).content.decode()
    assert "The payment system" in html
    assert "Someone not signed in" not in html


def test_an_appointment_with_its_consultation_links_to_it(web, patient):
    consultation = OpenConsultationFactory(appointment__patient=patient)
    html = web.get("/appointments/", **EN).content.decode()
    assert f'href="/consultations/{consultation.pk}/"' in html
    assert 'data-testid="consultation-link"' in html


def test_a_confirmed_appointment_due_now_can_be_entered(web, patient):
    appointment = ConfirmedAppointmentFactory(patient=patient)
    html = web.get("/appointments/", **EN).content.decode()
    assert f'action="/appointments/{appointment.pk}/consultation/"' in html
    response = web.post(f"/appointments/{appointment.pk}/consultation/")
    assert response.status_code == 302
    assert response.url.startswith("/consultations/")


def test_another_patients_appointment_is_a_404_to_open(web):
    other = ConfirmedAppointmentFactory()
    assert web.post(f"/appointments/{other.pk}/consultation/").status_code == 404


@pytest.fixture
def doctor_web(doctor):
    activate_totp(doctor.user)
    client = Client()
    client.force_login(doctor.user)
    return client


@time_machine.travel(dt.datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI), tick=False)
def test_jie_zhen_waits_for_the_opening_time_and_says_it(doctor, doctor_web):
    later = ConfirmedAppointmentFactory(
        doctor=doctor,
        slot=SlotFactory(doctor=doctor, starts_at=dt.datetime(2026, 3, 2, 15, 0, tzinfo=SHANGHAI)),
    )
    due = ConfirmedAppointmentFactory(doctor=doctor, slot=DueSlotFactory(doctor=doctor))
    html = doctor_web.get("/doctor/consultations/", **ZH).content.decode()

    assert f'action="/appointments/{due.pk}/consultation/"' in html
    assert f'action="/appointments/{later.pk}/consultation/"' not in html
    assert 'type="button" disabled data-testid="open-consultation">接诊' in html
    assert "13:00 开放" in html
