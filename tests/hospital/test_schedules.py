import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from hospital.booking.models import Slot
from hospital.booking.services.schedules import exception_add, slots_generate
from tests.hospital.factories import AvailabilityFactory, DoctorFactory

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2030, 1, 7)


@pytest.fixture
def sunday_morning():
    tz = timezone.get_current_timezone()
    with time_machine.travel(dt.datetime(2030, 1, 6, 8, 0, tzinfo=tz), tick=False):
        yield


def test_weekly_sessions_become_slots_and_a_second_run_creates_nothing(sunday_morning):
    doctor = DoctorFactory()
    AvailabilityFactory(doctor=doctor, mode="video", weekday=0)  # 09:00-10:00, 15 min
    AvailabilityFactory(doctor=doctor, mode="text", weekday=0, capacity=5)
    assert slots_generate(days_ahead=7) == 8
    assert slots_generate(days_ahead=7) == 0
    video = Slot.objects.filter(mode="video").order_by("starts_at")
    assert [timezone.localtime(s.starts_at).strftime("%a %H:%M") for s in video] == [
        "Mon 09:00",
        "Mon 09:15",
        "Mon 09:30",
        "Mon 09:45",
    ]
    assert {s.capacity for s in video} == {1}
    assert {s.capacity for s in Slot.objects.filter(mode="text")} == {5}


def test_leave_closes_free_slots_and_stops_new_ones(sunday_morning):
    doctor = DoctorFactory()
    AvailabilityFactory(doctor=doctor, weekday=0)
    slots_generate(days_ahead=7)
    exception_add(doctor=doctor, kind="leave", date=MONDAY)
    assert not Slot.objects.filter(is_closed=False).exists()
    Slot.objects.all().delete()
    assert slots_generate(days_ahead=7) == 0


def test_an_extra_session_opens_slots(sunday_morning, django_capture_on_commit_callbacks):
    doctor = DoctorFactory()
    with django_capture_on_commit_callbacks(execute=True):
        exception_add(
            doctor=doctor,
            kind="extra",
            date=MONDAY,
            start_time=dt.time(20, 0),
            end_time=dt.time(20, 30),
            mode="phone",
        )
    assert Slot.objects.filter(mode="phone").count() == 2


def test_doctor_slots_api_lists_only_free_future_slots(api_client, sunday_morning):
    doctor = DoctorFactory()
    AvailabilityFactory(doctor=doctor, weekday=0)
    slots_generate(days_ahead=7)
    first, second, *_ = Slot.objects.order_by("starts_at")
    Slot.objects.filter(pk=first.pk).update(booked_count=1)
    body = api_client.get(f"/api/v1/doctors/{doctor.pk}/slots/").json()
    assert second.pk == body[0]["id"]
    assert first.pk not in [s["id"] for s in body]
    bad = api_client.get(f"/api/v1/doctors/{doctor.pk}/slots/?from=yesterday")
    assert bad.status_code == 400
    assert "from" in bad.json()["errors"]
