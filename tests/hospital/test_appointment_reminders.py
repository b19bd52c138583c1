"""A confirmed appointment reminds its patient 24 h and 1 h before; a cancelled one never does,
a moved one reminds of its new time only."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from hospital.booking.services.appointments import appointment_cancel, appointment_reschedule
from notifications.models import Notification, ScheduledNotification
from notifications.services import scheduled_notifications_dispatch
from tests.hospital.factories import DoctorFactory, SlotFactory
from tests.hospital.test_appointment_lifecycle import book_and_pay

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
BOOKED_AT = dt.datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)
STARTS_AT = dt.datetime(2026, 12, 12, 14, 0, tzinfo=SHANGHAI)


@pytest.fixture
def booked_now():
    with time_machine.travel(BOOKED_AT, tick=False) as traveller:
        yield traveller


def reminders(patient) -> list[str]:
    return list(
        Notification.objects.filter(
            recipient=patient.account, kind="hospital.appointment_reminder"
        ).values_list("dedupe_key", flat=True)
    )


def test_a_confirmed_appointment_is_reminded_24_h_and_1_h_before(booked_now, patient, doctor):
    slot = SlotFactory(doctor=doctor, starts_at=STARTS_AT)
    appointment = book_and_pay(patient, slot)
    booked_now.move_to(STARTS_AT - dt.timedelta(hours=24, minutes=1))
    scheduled_notifications_dispatch()
    assert reminders(patient) == []
    booked_now.move_to(STARTS_AT - dt.timedelta(hours=24))
    scheduled_notifications_dispatch()
    assert reminders(patient) == [f"appointment:{appointment.pk}:remind:24h"]
    booked_now.move_to(STARTS_AT - dt.timedelta(hours=1))
    scheduled_notifications_dispatch()
    scheduled_notifications_dispatch()
    assert sorted(reminders(patient)) == [
        f"appointment:{appointment.pk}:remind:1h",
        f"appointment:{appointment.pk}:remind:24h",
    ]
    notice = Notification.objects.get(dedupe_key=f"appointment:{appointment.pk}:remind:1h")
    assert "2026-12-12 14:00" in notice.body_text
    assert patient.real_name in notice.body_text


def test_a_cancelled_appointment_is_never_reminded(booked_now, patient, doctor):
    slot = SlotFactory(doctor=doctor, starts_at=STARTS_AT)
    appointment = book_and_pay(patient, slot)
    appointment_cancel(actor=patient.account, appointment_id=appointment.pk)
    booked_now.move_to(STARTS_AT)
    assert scheduled_notifications_dispatch() == 0
    assert reminders(patient) == []
    assert set(ScheduledNotification.objects.values_list("status", flat=True)) == {"cancelled"}


def test_a_moved_appointment_is_reminded_of_its_new_time_only(booked_now, patient, doctor):
    slot = SlotFactory(doctor=doctor, starts_at=STARTS_AT)
    old = book_and_pay(patient, slot)
    later = SlotFactory(doctor=doctor, starts_at=STARTS_AT + dt.timedelta(hours=2))
    new = appointment_reschedule(account=patient.account, appointment_id=old.pk, slot_id=later.pk)
    booked_now.move_to(STARTS_AT + dt.timedelta(hours=2))
    scheduled_notifications_dispatch()
    assert sorted(reminders(patient)) == [
        f"appointment:{new.pk}:remind:1h",
        f"appointment:{new.pk}:remind:24h",
    ]


def test_a_booking_made_within_the_hour_schedules_no_reminder(booked_now, patient, doctor):
    slot = SlotFactory(doctor=doctor, starts_at=BOOKED_AT + dt.timedelta(minutes=50))
    book_and_pay(patient, slot)
    assert not ScheduledNotification.objects.exists()


def test_a_moved_appointment_tells_the_patient_old_and_new_time(
    booked_now, patient, doctor, django_capture_on_commit_callbacks
):
    slot = SlotFactory(doctor=doctor, starts_at=STARTS_AT)
    old = book_and_pay(patient, slot)
    later = SlotFactory(doctor=doctor, starts_at=STARTS_AT + dt.timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        new = appointment_reschedule(
            account=patient.account, appointment_id=old.pk, slot_id=later.pk
        )
    moved = Notification.objects.get(recipient=patient.account, kind="hospital.appointment_moved")
    assert moved.dedupe_key == f"hospital.appointment_moved:{new.pk}"
    assert "2026-12-12 14:00" in moved.body_text
    assert "2026-12-12 16:00" in moved.body_text
    with translation.override("zh-hans"):
        assert moved.subject_text == "您的预约时间已更改"
    old_reminders = ScheduledNotification.objects.filter(
        dedupe_key__startswith=f"appointment:{old.pk}:"
    )
    assert set(old_reminders.values_list("status", flat=True)) == {"cancelled"}
    assert (
        ScheduledNotification.objects.filter(
            dedupe_key__startswith=f"appointment:{new.pk}:", status="pending"
        ).count()
        == 2
    )


@pytest.mark.parametrize("name", ["王芳", "王医生", "Dr. Wang"])
def test_the_reminder_names_the_doctor_with_one_title(booked_now, patient, name):
    doctor = DoctorFactory(name=name)
    book_and_pay(patient, SlotFactory(doctor=doctor, starts_at=STARTS_AT))
    booked_now.move_to(STARTS_AT - dt.timedelta(hours=1))
    scheduled_notifications_dispatch()
    notice = Notification.objects.get(dedupe_key__endswith=":remind:1h")
    with translation.override("zh-hans"):
        chinese = notice.body_text
    english = notice.body_text
    assert "医生医生" not in chinese
    assert chinese.count("医生") == 1
    assert english.count("Dr.") == 1
    assert "Dr. Dr." not in english
