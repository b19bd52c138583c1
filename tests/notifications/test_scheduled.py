"""Scheduled notices: rows found due by a scan, sent once, held back by quiet hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext_noop

from core.system_text import system_text
from notifications.models import (
    Notification,
    NotificationDelivery,
    NotificationSettings,
    ScheduledNotification,
)
from notifications.services import (
    notification_schedule,
    notification_schedule_cancel,
    scheduled_notifications_dispatch,
)
from notifications.tasks import dispatch_due_notifications
from tests.accounts.factories import PatientUserFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0, day: int = 7) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def schedule(recipient, key: str, due_at: dt.datetime, **extra) -> ScheduledNotification:
    return notification_schedule(
        recipient=recipient,
        kind="general",
        due_at=due_at,
        subject=extra.pop("subject", "复诊提醒"),
        body=extra.pop("body", "明天上午 9:00 复诊。"),
        dedupe_key=key,
        **extra,
    )


def test_a_notice_is_sent_when_due_and_not_before(django_capture_on_commit_callbacks):
    patient = PatientUserFactory()
    schedule(patient, "visit:1:remind", at(10))
    with time_machine.travel(at(9, 59), tick=False):
        assert scheduled_notifications_dispatch() == 0
    assert not Notification.objects.exists()
    with (
        time_machine.travel(at(10, 0, 30), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert dispatch_due_notifications() == 1
    notification = Notification.objects.get(recipient=patient)
    assert notification.subject == "复诊提醒"
    assert notification.dedupe_key == "visit:1:remind"
    scheduled = ScheduledNotification.objects.get()
    assert scheduled.status == ScheduledNotification.Status.SENT
    assert scheduled.notification == notification
    assert [message.to for message in mail.outbox] == [[patient.email]]


def test_dispatching_again_sends_nothing_twice(django_capture_on_commit_callbacks):
    patient = PatientUserFactory()
    for n in range(5):
        schedule(patient, f"visit:{n}:remind", at(10))
    with (
        time_machine.travel(at(10, 1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert scheduled_notifications_dispatch(batch_size=2) == 5
        assert scheduled_notifications_dispatch(batch_size=2) == 0
    assert Notification.objects.count() == 5
    assert NotificationDelivery.objects.count() == 5
    assert len(mail.outbox) == 5


def test_a_notice_written_before_the_crash_is_not_written_again():
    """A notification already there under the key (its batch committed, the row's mark lost)
    is taken as sent: the row is marked and no second delivery is made."""
    patient = PatientUserFactory()
    scheduled = schedule(patient, "visit:9:remind", at(10))
    existing = Notification.objects.create(
        recipient=patient, kind="general", subject="s", body="b", dedupe_key="visit:9:remind"
    )
    with time_machine.travel(at(10, 5), tick=False):
        assert scheduled_notifications_dispatch() == 1
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledNotification.Status.SENT
    assert scheduled.notification == existing
    assert Notification.objects.count() == 1
    assert not NotificationDelivery.objects.exists()


def test_scheduling_the_same_key_again_moves_the_unsent_notice():
    patient = PatientUserFactory()
    schedule(patient, "visit:1:remind", at(10))
    moved = schedule(patient, "visit:1:remind", at(15), body="改到下午 3:00。")
    assert ScheduledNotification.objects.count() == 1
    assert moved.due_at == at(15)
    with time_machine.travel(at(12), tick=False):
        assert scheduled_notifications_dispatch() == 0
    with time_machine.travel(at(15), tick=False):
        assert scheduled_notifications_dispatch() == 1
    assert Notification.objects.get().body == "改到下午 3:00。"


def test_scheduling_a_sent_key_again_changes_nothing():
    patient = PatientUserFactory()
    schedule(patient, "visit:1:remind", at(10))
    with time_machine.travel(at(10), tick=False):
        scheduled_notifications_dispatch()
    again = schedule(patient, "visit:1:remind", at(18))
    assert again.status == ScheduledNotification.Status.SENT
    assert again.due_at == at(10)
    with time_machine.travel(at(18), tick=False):
        assert scheduled_notifications_dispatch() == 0
    assert Notification.objects.count() == 1


def test_a_cancelled_notice_is_never_sent_nor_revived():
    patient = PatientUserFactory()
    schedule(patient, "appointment:4:remind:24h", at(10))
    schedule(patient, "appointment:4:remind:1h", at(11))
    schedule(patient, "appointment:40:remind:1h", at(11))
    assert notification_schedule_cancel(dedupe_key_prefix="appointment:4:") == 2
    assert schedule(patient, "appointment:4:remind:1h", at(12)).status == "cancelled"
    with time_machine.travel(at(13), tick=False):
        assert scheduled_notifications_dispatch() == 1
    assert list(Notification.objects.values_list("dedupe_key", flat=True)) == [
        "appointment:40:remind:1h"
    ]


def test_cancelling_needs_a_prefix():
    with pytest.raises(ValueError, match="prefix"):
        notification_schedule_cancel(dedupe_key_prefix="")


@pytest.mark.parametrize(
    ("due", "now", "expected_due"),
    [
        (at(23), at(23, 0), at(8, day=8)),  # the evening part: waits for the next morning
        (at(6, 30), at(6, 30), at(8)),  # the morning part: waits for 8:00 the same day
    ],
)
def test_a_notice_due_in_quiet_hours_waits_for_their_end(due, now, expected_due):
    patient = PatientUserFactory()
    scheduled = schedule(patient, "dose:1", due)
    with time_machine.travel(now, tick=False):
        assert scheduled_notifications_dispatch() == 0
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledNotification.Status.PENDING
    assert scheduled.due_at == expected_due
    assert scheduled.scheduled_for == due
    assert not Notification.objects.exists()
    with time_machine.travel(expected_due, tick=False):
        assert scheduled_notifications_dispatch() == 1


def test_a_critical_notice_passes_quiet_hours():
    patient = PatientUserFactory()
    schedule(patient, "reading:1:alert", at(2), critical=True)
    with time_machine.travel(at(2), tick=False):
        assert scheduled_notifications_dispatch() == 1


def test_quiet_hours_are_the_persons_own():
    patient = PatientUserFactory()
    NotificationSettings.objects.create(
        user=patient,
        quiet_hours_start=dt.time(13, 0),
        quiet_hours_end=dt.time(14, 0),
        time_zone="Europe/London",
    )
    # 21:30 in Shanghai is 13:30 in London: inside this person's afternoon quiet hours.
    schedule(patient, "dose:2", at(21, 30))
    with time_machine.travel(at(21, 30), tick=False):
        assert scheduled_notifications_dispatch() == 0
    assert ScheduledNotification.objects.get().due_at == dt.datetime(
        2026, 12, 7, 14, 0, tzinfo=ZoneInfo("Europe/London")
    )
    # 23:00 in Shanghai is 15:00 in London, past them (the default 22:00–08:00 is not this
    # person's): the held notice and one due now both go.
    schedule(patient, "dose:3", at(23))
    with time_machine.travel(at(23), tick=False):
        assert scheduled_notifications_dispatch() == 2


def test_quiet_hours_turned_off_let_everything_through():
    patient = PatientUserFactory()
    NotificationSettings.objects.create(user=patient, quiet_hours_enabled=False)
    schedule(patient, "dose:4", at(3))
    with time_machine.travel(at(3), tick=False):
        assert scheduled_notifications_dispatch() == 1


def test_a_scheduled_notice_reads_in_the_readers_language(patient_client, patient_user):
    with translation.override("zh-hans"):
        schedule(
            patient_user,
            "lang:1",
            at(10),
            subject=system_text(gettext_noop("Your prescription was approved")),
            body="-",
        )
    with time_machine.travel(at(10), tick=False):
        scheduled_notifications_dispatch()
    result = patient_client.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert result["results"][0]["subject"] == "Your prescription was approved"


def test_a_batch_is_a_fixed_number_of_queries(django_assert_num_queries):
    patients = PatientUserFactory.create_batch(3)
    for n in range(30):
        schedule(patients[n % 3], f"q:{n}", at(10))
    # One of them reads the batch's caregivers, whatever the number of recipients; one writes
    # the outbox row of the batch's delivery task.
    with time_machine.travel(at(10), tick=False), django_assert_num_queries(12):
        assert scheduled_notifications_dispatch(batch_size=100) == 30
