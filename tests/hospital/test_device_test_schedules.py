"""Reminders to test on the schedule the doctor sets: fasting glucose daily at 07:00 reaches
the patient at 07:00 each day (inside quiet hours: the doctor chose the time), through the
scheduled-notification scan; a stopped schedule reminds no more."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation
from rest_framework.test import APIClient

from hospital.records.models import DeviceTestSchedule
from hospital.records.services.device_tests import (
    DEVICE_TEST_KIND,
    device_test_reminders_plan,
    device_test_schedule_set,
    device_test_schedule_stop,
)
from notifications.models import Notification, ScheduledNotification
from notifications.services import scheduled_notifications_dispatch
from tests.accounts.factories import PatientProfileFactory
from tests.hospital.record_factories import ConsultationFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_EVENING = dt.datetime(2026, 12, 7, 18, 0, tzinfo=SHANGHAI)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_EVENING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def treating(clock):
    return ConsultationFactory()


def fasting_daily_at_seven(treating, **extra):
    return device_test_schedule_set(
        doctor_user=treating.doctor.user,
        patient_id=treating.patient_id,
        kind="glucose_fasting",
        times=["7:00"],
        **extra,
    )


def reminders() -> list[Notification]:
    return list(Notification.objects.filter(kind=DEVICE_TEST_KIND).order_by("created_at", "id"))


def test_fasting_glucose_is_reminded_daily_at_seven(clock, treating):
    schedule = fasting_daily_at_seven(treating, note="早餐前")
    assert schedule.times_of_day == ["07:00"]
    for day in (8, 9, 10):
        clock.move_to(at(day, 6, 59))
        scheduled_notifications_dispatch()
        assert len(reminders()) == day - 8
        clock.move_to(at(day, 7, 0))
        scheduled_notifications_dispatch()
        assert len(reminders()) == day - 7
        clock.move_to(at(day, 7, 30))
        device_test_reminders_plan()  # the daily run books the days ahead
    first = reminders()[0]
    assert first.recipient == treating.patient.account
    assert first.dedupe_key == f"device-test:{schedule.pk}:2026-12-08T07:00"
    assert "07:00" in first.body_text
    assert "早餐前" in first.body_text
    with translation.override("zh-hans"):
        assert "空腹血糖" in first.subject_text


def test_a_repeated_planning_run_books_nothing_twice(clock, treating):
    fasting_daily_at_seven(treating)
    device_test_reminders_plan()
    device_test_reminders_plan()
    clock.move_to(at(8, 7))
    scheduled_notifications_dispatch()
    scheduled_notifications_dispatch()
    assert len(reminders()) == 1


def test_a_stopped_schedule_reminds_no_more(clock, treating):
    schedule = fasting_daily_at_seven(treating)
    device_test_schedule_stop(doctor_user=treating.doctor.user, schedule_id=schedule.pk)
    device_test_reminders_plan()
    clock.move_to(at(9, 8))
    assert scheduled_notifications_dispatch() == 0
    assert reminders() == []
    assert set(ScheduledNotification.objects.values_list("status", flat=True)) == {"cancelled"}


def test_a_new_schedule_for_the_same_reading_replaces_the_old(clock, treating):
    old = fasting_daily_at_seven(treating)
    new = device_test_schedule_set(
        doctor_user=treating.doctor.user,
        patient_id=treating.patient_id,
        kind="glucose_fasting",
        times=["06:30", "21:00"],
    )
    old.refresh_from_db()
    assert old.stopped_at is not None
    clock.move_to(at(8, 22))
    scheduled_notifications_dispatch()
    keys = sorted(n.dedupe_key for n in reminders())
    assert keys == [
        f"device-test:{new.pk}:2026-12-07T21:00",
        f"device-test:{new.pk}:2026-12-08T06:30",
        f"device-test:{new.pk}:2026-12-08T21:00",
    ]


def test_a_schedule_ends_on_its_last_day(clock, treating):
    fasting_daily_at_seven(treating, ends_on=dt.date(2026, 12, 8))
    for day in (8, 9, 10):
        clock.move_to(at(day, 7, 30))
        device_test_reminders_plan()
        scheduled_notifications_dispatch()
    assert [n.dedupe_key[-16:] for n in reminders()] == ["2026-12-08T07:00"]


def test_only_the_treating_doctor_sets_a_schedule(clock, treating):
    stranger = ConsultationFactory()  # a doctor treating someone else
    with pytest.raises(Exception) as refused:
        device_test_schedule_set(
            doctor_user=stranger.doctor.user,
            patient_id=treating.patient_id,
            kind="glucose_fasting",
            times=["07:00"],
        )
    assert getattr(refused.value, "status_code", None) == 404
    with pytest.raises(Exception) as refused_account:
        device_test_schedule_set(
            doctor_user=treating.patient.account,
            patient_id=treating.patient_id,
            kind="glucose_fasting",
            times=["07:00"],
        )
    assert getattr(refused_account.value, "status_code", None) == 404
    assert not DeviceTestSchedule.objects.exists()


def doctor_client(treating) -> APIClient:
    client = APIClient()
    client.force_authenticate(treating.doctor.user)
    return client


def test_the_api_sets_lists_and_stops_a_schedule(clock, treating):
    client = doctor_client(treating)
    url = f"/api/v1/patients/{treating.patient_id}/device-test-schedules/"
    created = client.post(url, {"kind": "glucose_fasting", "times": ["07:00"]}, format="json")
    assert created.status_code == 201, created.json()
    patient_client = APIClient()
    patient_client.force_authenticate(treating.patient.account)
    listed = patient_client.get(url).json()
    assert [(row["kind"], row["times_of_day"]) for row in listed] == [
        ("glucose_fasting", ["07:00"])
    ]
    stopped = client.post(f"/api/v1/device-test-schedules/{created.json()['id']}/stop/")
    assert stopped.status_code == 200
    assert patient_client.get(url).json() == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "glucose_fasting", "times": ["25:00"]}, "times"),
        ({"kind": "glucose_fasting", "times": ["07:00", "07:00"]}, "times"),
        ({"kind": "glucose_fasting", "times": []}, "times"),
        ({"kind": "height", "times": ["07:00"]}, "kind"),
        ({"kind": "glucose_fasting", "times": ["07:00"], "starts_on": "2026-12-01"}, "starts_on"),
        (
            {
                "kind": "glucose_fasting",
                "times": ["07:00"],
                "starts_on": "2026-12-10",
                "ends_on": "2026-12-09",
            },
            "ends_on",
        ),
    ],
)
def test_bad_schedule_input_is_refused_with_the_field(clock, treating, payload, field):
    response = doctor_client(treating).post(
        f"/api/v1/patients/{treating.patient_id}/device-test-schedules/", payload, format="json"
    )
    assert response.status_code == 400
    assert field in str(response.json())
    assert not DeviceTestSchedule.objects.exists()
    assert not ScheduledNotification.objects.exists()


def test_another_patients_schedules_are_not_found(clock, treating):
    schedule = fasting_daily_at_seven(treating)
    other = PatientProfileFactory()
    client = APIClient()
    client.force_authenticate(other.account)
    url = f"/api/v1/patients/{treating.patient_id}/device-test-schedules/"
    assert client.get(url).status_code == 404
    stop = client.post(f"/api/v1/device-test-schedules/{schedule.pk}/stop/")
    assert stop.status_code == 404
    schedule.refresh_from_db()
    assert schedule.stopped_at is None


def test_the_record_page_shows_the_schedule_to_the_patient_in_both_languages(clock, treating):
    from django.test import Client

    fasting_daily_at_seven(treating, note="早餐前")
    client = Client()
    client.force_login(treating.patient.account)
    chinese = client.get(f"/records/{treating.patient_id}/", headers={"accept-language": "zh-hans"})
    assert chinese.status_code == 200
    assert "测量时间" in chinese.text
    assert "07:00" in chinese.text
    assert "设定计划" not in chinese.text  # only the treating doctor sets it
    english = client.get(f"/records/{treating.patient_id}/", headers={"accept-language": "en"})
    assert "When to measure" in english.text
    assert "早餐前" in english.text


def test_only_the_treating_doctor_may_post_the_page_form(clock, treating):
    from django.test import Client

    client = Client()
    client.force_login(treating.patient.account)
    response = client.post(
        f"/records/{treating.patient_id}/test-schedules/",
        {"kind": "glucose_fasting", "times": "07:00, 19:00"},
    )
    assert response.status_code == 404
    assert not DeviceTestSchedule.objects.exists()
