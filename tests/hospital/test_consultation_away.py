"""A consultation message while the other side is away (not seen the chat for 10 minutes)
notifies them once per burst of messages; while they are in the chat, nothing is sent."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client, TestCase
from django.utils import translation

from hospital.consultations.services.away import CHAT_AWAY_KIND, consultation_chat_seen
from hospital.consultations.services.chat import consultation_post_message
from notifications.models import Notification
from tests.hospital.record_factories import ConsultationFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def consultation(clock):
    return ConsultationFactory()


def write(consultation, user, text="您好"):
    # Each message commits on its own, so its notice is decided at the time it is written.
    with TestCase.captureOnCommitCallbacks(execute=True):
        consultation_post_message(user=user, consultation_id=consultation.pk, text=text)


def away_notices(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=CHAT_AWAY_KIND))


def look(consultation, user):
    consultation_chat_seen(consultation=consultation, user=user)


def test_the_patients_chat_page_poll_counts_as_a_look(clock, consultation):
    patient, doctor = consultation.patient.account, consultation.doctor.user
    client = Client()
    client.force_login(patient)
    assert client.get(f"/consultations/{consultation.pk}/poll/?after=0").status_code == 200
    clock.move_to(START + dt.timedelta(minutes=5))
    write(consultation, doctor)
    assert away_notices(patient) == []


def test_a_doctor_who_has_been_away_is_told_once_per_burst(clock, consultation):
    patient, doctor = consultation.patient.account, consultation.doctor.user
    look(consultation, doctor)
    clock.move_to(START + dt.timedelta(minutes=9))
    write(consultation, patient)  # the doctor looked 9 minutes ago: not away
    assert away_notices(doctor) == []
    clock.move_to(START + dt.timedelta(minutes=11))
    write(consultation, patient, "还有一个问题")
    clock.move_to(START + dt.timedelta(minutes=12))
    write(consultation, patient, "我的血糖是 9.1")
    (notice,) = away_notices(doctor)
    assert notice.link == f"/consultations/{consultation.pk}/"
    assert consultation.patient.real_name in notice.body_text
    # Inbox only for the doctor: patients' words stay behind login.
    assert not notice.deliveries.exists()


def test_after_the_next_look_a_new_absence_brings_a_new_notice(clock, consultation):
    patient, doctor = consultation.patient.account, consultation.doctor.user
    look(consultation, doctor)
    clock.move_to(START + dt.timedelta(minutes=15))
    write(consultation, patient)
    look(consultation, doctor)
    clock.move_to(START + dt.timedelta(minutes=16))
    write(consultation, patient)  # the doctor just looked
    assert len(away_notices(doctor)) == 1
    clock.move_to(START + dt.timedelta(minutes=40))
    write(consultation, patient)
    assert len(away_notices(doctor)) == 2


def test_a_patient_who_never_opened_the_chat_is_told_of_the_doctors_reply(clock, consultation):
    patient, doctor = consultation.patient.account, consultation.doctor.user
    write(consultation, doctor, "请上传最近的化验单")
    write(consultation, doctor, "空腹测量")
    (notice,) = away_notices(patient)
    with translation.override("zh-hans"):
        assert notice.subject_text == "您的问诊有新消息"
    assert notice.subject_text == "New message in your consultation"


def test_the_writer_is_never_told_of_their_own_message(clock, consultation):
    patient = consultation.patient.account
    write(consultation, patient)
    clock.move_to(START + dt.timedelta(hours=1))
    write(consultation, patient)
    assert away_notices(patient) == []


def test_writing_counts_as_having_the_chat_open(clock, consultation):
    patient, doctor = consultation.patient.account, consultation.doctor.user
    write(consultation, doctor)
    clock.move_to(START + dt.timedelta(minutes=2))
    write(consultation, patient)  # the doctor wrote two minutes ago
    assert away_notices(doctor) == []
