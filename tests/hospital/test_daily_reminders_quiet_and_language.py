"""Refill and follow-up reminders go through the same notice texts and quiet hours as every
other reminder: written in the reader's language when read, held to the end of the
recipient's quiet hours. Time is frozen."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from hospital.consultations.models import Consultation
from hospital.consultations.services.follow_up import follow_up_reminders_send
from hospital.prescriptions.schedule import services
from notifications.kinds import KINDS
from notifications.models import Notification, ScheduledNotification
from notifications.services import notification_settings_update, scheduled_notifications_dispatch
from tests.hospital.medication_factories import local, schedule_for
from tests.hospital.record_factories import ConsultationFactory
from tests.hospital.review_factories import ApprovedPrescriptionFactory

pytestmark = pytest.mark.django_db


def _chronic():
    return schedule_for(local(2030, 1, 1, 10), frequency="QD", duration_days=28)


def test_a_refill_reminder_reads_in_the_readers_language():
    schedule = _chronic()
    with time_machine.travel(local(2030, 1, 26, 9), tick=False):
        assert services.medication_refill_reminders_send() == 1
    reminder = Notification.objects.get(kind="hospital.medication_refill")
    with translation.override("zh-hans"):
        assert "即将用完" in reminder.subject_text
        assert "续方" in reminder.body_text
    assert "is running out" in reminder.subject_text
    assert schedule.patient.real_name in reminder.body_text


def test_a_refill_reminder_waits_for_the_end_of_the_patients_quiet_hours():
    schedule = _chronic()
    # This patient sleeps in: quiet until 10:00.
    notification_settings_update(
        user=schedule.patient.account, quiet_hours_start=dt.time(22), quiet_hours_end=dt.time(10)
    )
    with time_machine.travel(local(2030, 1, 26, 9), tick=False):
        services.medication_refill_reminders_send()
        services.medication_refill_reminders_send()
        assert not Notification.objects.filter(kind="hospital.medication_refill").exists()
        waiting = ScheduledNotification.objects.get(dedupe_key=f"refill:{schedule.pk}")
        assert waiting.due_at == local(2030, 1, 26, 10)
    with time_machine.travel(local(2030, 1, 26, 10), tick=False):
        scheduled_notifications_dispatch()  # the dose reminders due by then go out too
        services.medication_refill_reminders_send()  # the hourly run again: nothing twice
    assert Notification.objects.filter(kind="hospital.medication_refill").count() == 1


def test_a_follow_up_reminder_waits_out_quiet_hours_and_reads_in_chinese():
    consultation = ConsultationFactory(
        status=Consultation.Status.CLOSED, follow_up_on=dt.date(2030, 2, 1)
    )
    notification_settings_update(
        user=consultation.patient.account,
        quiet_hours_start=dt.time(21),
        quiet_hours_end=dt.time(9, 30),
    )
    with time_machine.travel(local(2030, 2, 1, 9), tick=False):
        follow_up_reminders_send()
        assert not Notification.objects.filter(kind="hospital.follow_up_due").exists()
    with time_machine.travel(local(2030, 2, 1, 9, 30), tick=False):
        assert scheduled_notifications_dispatch() == 1
    reminder = Notification.objects.get(kind="hospital.follow_up_due")
    name = consultation.doctor.name
    with translation.override("zh-hans"):
        assert reminder.subject_text == f"该复诊了：{name}医生"
    assert reminder.subject_text == f"Time for your follow-up with Dr. {name}"


def test_the_pharmacys_notices_are_named_kinds():
    import pharmacy.services.delivery
    import pharmacy.services.stock  # noqa: F401

    for kind in (
        "pharmacy.order_paid",
        "pharmacy.order_shipped",
        "pharmacy.order_out_for_delivery",
        "pharmacy.order_delivered",
        "pharmacy.order_cancelled",
        "pharmacy.batch_near_expiry",
    ):
        assert kind in KINDS
    with translation.override("zh-hans"):
        assert str(KINDS["pharmacy.order_shipped"].label) == "订单已发货"
    assert not KINDS["pharmacy.batch_near_expiry"].optional


def test_a_dose_reminder_planned_by_the_worker_reads_in_each_readers_language():
    # The patient chose English for messages outside the site; the delivery task plans the
    # reminders in the worker's language, Chinese.
    prescription = ApprovedPrescriptionFactory(item=None)
    notification_settings_update(user=prescription.patient.account, language="en")
    with translation.override("zh-hans"):
        schedule = schedule_for(
            local(2030, 1, 6, 7, 0), prescription=prescription, frequency="QD", duration_days=2
        )
    with time_machine.travel(local(2030, 1, 6, 8, 0), tick=False):
        assert scheduled_notifications_dispatch() == 1
    reminder = Notification.objects.get(kind="hospital.medication_dose")
    assert reminder.subject_text == f"Time to take {schedule.drug.generic_name_en} " + (
        schedule.drug.strength
    )
    assert "due at 08:00" in reminder.body_text
    with translation.override("zh-hans"):
        assert reminder.subject_text.startswith("该服用")
        assert "应在08:00服用" in reminder.body_text
