"""The medication schedule: dose times by frequency over the supply from delivery, times the
patient moves, doses taken / skipped / snoozed / missed, and the dose reminders. Time is frozen
(Asia/Shanghai local times throughout)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from core.exceptions import Conflict, DomainError, NotFound
from hospital.prescriptions.schedule import services
from hospital.prescriptions.schedule.models import MedicationDose, MedicationSchedule
from notifications.models import Notification, ScheduledNotification
from notifications.services import scheduled_notifications_dispatch
from tests.accounts.factories import PatientUserFactory
from tests.hospital.medication_factories import (
    delivered_item,
    local,
    local_times,
    schedule_for,
)

pytestmark = pytest.mark.django_db

D = MedicationDose.Status


def _reminders(schedule: MedicationSchedule) -> int:
    return Notification.objects.filter(
        recipient=schedule.patient.account, kind="hospital.medication_dose"
    ).count()


@pytest.mark.parametrize(
    ("frequency", "expected"),
    [
        ("QD", ["01-06 08:00", "01-07 08:00"]),
        ("BID", ["01-06 08:00", "01-06 20:00", "01-07 08:00", "01-07 20:00"]),
        (
            "TID",
            [
                *("01-06 08:00", "01-06 13:00", "01-06 19:00"),
                *("01-07 08:00", "01-07 13:00", "01-07 19:00"),
            ],
        ),
        ("qn", ["01-06 21:00", "01-07 21:00"]),
    ],
)
def test_default_dose_times_by_frequency(frequency, expected):
    # Delivered at 07:30 on 6 January for two days: doses from then until 07:30 on the 8th.
    schedule = schedule_for(local(2030, 1, 6, 7, 30), frequency=frequency, duration_days=2)
    assert local_times(schedule) == expected
    assert schedule.frequency == frequency.upper()


def test_weekly_dose_falls_on_the_start_weekday():
    # Wednesday 9 January, 14 days: the 9th and the 16th; the 23rd is past the supply.
    schedule = schedule_for(local(2030, 1, 9, 7, 0), frequency="QW", duration_days=14)
    assert local_times(schedule) == ["01-09 08:00", "01-16 08:00"]
    assert {
        d.due_at.astimezone(local(2030, 1, 1).tzinfo).weekday() for d in schedule.doses.all()
    } == {2}


def test_as_needed_medicine_gets_no_schedule():
    item = delivered_item(frequency="PRN", duration_days=7)
    assert (
        services.medication_schedule_start(
            prescription_item_ids=[item.pk], started_at=local(2030, 1, 6, 9)
        )
        == []
    )
    assert not MedicationSchedule.objects.exists()


def test_doses_stop_at_the_end_of_the_supply_and_start_is_idempotent():
    started = local(2030, 1, 6, 15, 0)  # after the morning dose
    schedule = schedule_for(started, frequency="QD", duration_days=7)
    times = local_times(schedule)
    assert times[0] == "01-07 08:00"
    assert times[-1] == "01-13 08:00"
    assert len(times) == 7
    assert schedule.ends_at == started + dt.timedelta(days=7)
    again = services.medication_schedule_start(
        prescription_item_ids=[schedule.prescription_item_id], started_at=started
    )
    assert again == [schedule]
    assert schedule.doses.count() == 7


def test_important_flag_and_chronic_supply_come_from_the_prescription():
    schedule = schedule_for(local(2030, 1, 6, 7), is_important=True, duration_days=28)
    assert schedule.is_important
    assert schedule.is_chronic  # 28 days for hypertension (I10)


def test_adjusting_times_moves_only_the_doses_to_come():
    schedule = schedule_for(local(2030, 1, 6, 7, 0), frequency="BID", duration_days=3)
    account = schedule.patient.account
    morning = schedule.doses.get(due_at=local(2030, 1, 6, 8))
    with time_machine.travel(local(2030, 1, 6, 8, 10), tick=False):
        services.medication_dose_mark(account=account, dose_id=morning.pk, status="taken")
    with time_machine.travel(local(2030, 1, 6, 10, 0), tick=False):
        services.medication_schedule_adjust_times(
            account=account, schedule_id=schedule.pk, times=["21:30", "09:00"]
        )
    schedule.refresh_from_db()
    assert schedule.times_of_day == ["09:00", "21:30"]
    assert local_times(schedule) == [
        "01-06 08:00",  # past, taken: kept with its answer
        "01-06 21:30",
        "01-07 09:00",
        "01-07 21:30",
        "01-08 09:00",
        "01-08 21:30",
    ]
    morning.refresh_from_db()
    assert morning.status == D.TAKEN


@pytest.mark.parametrize(
    ("times", "message"),
    [(["08:00"], "2 time"), (["08:00", "25:00"], "HH:MM"), (["08:00", "08:00"], "different")],
)
def test_adjusting_times_refuses_bad_times(times, message):
    schedule = schedule_for(local(2030, 1, 6, 7, 0), frequency="BID", duration_days=3)
    with pytest.raises(DomainError, match=message):
        services.medication_schedule_adjust_times(
            account=schedule.patient.account, schedule_id=schedule.pk, times=times
        )


def test_another_account_cannot_touch_the_schedule_or_its_doses():
    schedule = schedule_for(local(2030, 1, 6, 7, 0))
    stranger = PatientUserFactory()
    dose = schedule.doses.first()
    with pytest.raises(NotFound):
        services.medication_schedule_adjust_times(
            account=stranger, schedule_id=schedule.pk, times=["09:00"]
        )
    with time_machine.travel(local(2030, 1, 6, 8), tick=False), pytest.raises(NotFound):
        services.medication_dose_mark(account=stranger, dose_id=dose.pk, status="taken")


def test_a_dose_not_marked_within_its_window_is_missed():
    schedule = schedule_for(local(2030, 1, 6, 7, 0), frequency="BID", duration_days=1)
    with time_machine.travel(local(2030, 1, 6, 9, 59), tick=False):
        assert services.medication_doses_mark_missed() == 0
    with time_machine.travel(local(2030, 1, 6, 10, 0), tick=False):
        assert services.medication_doses_mark_missed() == 1
        assert services.medication_doses_mark_missed() == 0
    statuses = dict(schedule.doses.values_list("due_at", "status"))
    assert statuses == {local(2030, 1, 6, 8): D.MISSED, local(2030, 1, 6, 20): D.SCHEDULED}
    # The patient may still record it late.
    missed = schedule.doses.get(due_at=local(2030, 1, 6, 8))
    with time_machine.travel(local(2030, 1, 6, 11, 0), tick=False):
        dose = services.medication_dose_mark(
            account=schedule.patient.account,
            dose_id=missed.pk,
            status="taken",
            at=local(2030, 1, 6, 8, 30),
        )
    assert (dose.status, dose.marked_at) == (D.TAKEN, local(2030, 1, 6, 8, 30))


def test_marking_rules_early_window_future_time_and_twice():
    schedule = schedule_for(local(2030, 1, 6, 7, 0), frequency="QD", duration_days=3)
    account = schedule.patient.account
    tomorrow = schedule.doses.get(due_at=local(2030, 1, 7, 8))
    with (
        time_machine.travel(local(2030, 1, 7, 5, 59), tick=False),
        pytest.raises(DomainError, match="can be marked from 06:00"),
    ):
        services.medication_dose_mark(account=account, dose_id=tomorrow.pk, status="taken")
    with time_machine.travel(local(2030, 1, 7, 6, 30), tick=False):
        with pytest.raises(DomainError, match="not come yet"):
            services.medication_dose_mark(
                account=account, dose_id=tomorrow.pk, status="taken", at=local(2030, 1, 7, 8)
            )
        with pytest.raises(DomainError):
            services.medication_dose_mark(account=account, dose_id=tomorrow.pk, status="lost")
        services.medication_dose_mark(account=account, dose_id=tomorrow.pk, status="skipped")
        with pytest.raises(Conflict):
            services.medication_dose_mark(account=account, dose_id=tomorrow.pk, status="taken")
    tomorrow.refresh_from_db()
    assert (tomorrow.status, tomorrow.marked_at) == (D.SKIPPED, local(2030, 1, 7, 6, 30))


def test_a_dose_is_reminded_once_at_its_time():
    schedule = schedule_for(local(2030, 1, 6, 7, 0), frequency="QD", duration_days=2)
    with time_machine.travel(local(2030, 1, 6, 7, 59), tick=False):
        assert scheduled_notifications_dispatch() == 0
    with time_machine.travel(local(2030, 1, 6, 8, 0), tick=False):
        assert scheduled_notifications_dispatch() == 1
        assert scheduled_notifications_dispatch() == 0
    with time_machine.travel(local(2030, 1, 6, 9, 0), tick=False):
        assert scheduled_notifications_dispatch() == 0
    notification = Notification.objects.get(kind="hospital.medication_dose")
    assert notification.recipient == schedule.patient.account
    assert "08:00" in notification.body
    assert notification.link.startswith("/")


def test_snooze_reminds_again_later_and_keeps_the_original_time():
    schedule = schedule_for(local(2030, 1, 6, 7, 0), frequency="QD", duration_days=2)
    dose = schedule.doses.get(due_at=local(2030, 1, 6, 8))
    account = schedule.patient.account
    with time_machine.travel(local(2030, 1, 6, 8, 0), tick=False):
        scheduled_notifications_dispatch()
    with time_machine.travel(local(2030, 1, 6, 8, 5), tick=False):
        dose = services.medication_dose_snooze(account=account, dose_id=dose.pk, minutes=30)
    assert dose.due_at == local(2030, 1, 6, 8)
    assert dose.snoozed_until == local(2030, 1, 6, 8, 35)
    with time_machine.travel(local(2030, 1, 6, 8, 34), tick=False):
        assert scheduled_notifications_dispatch() == 0
    with time_machine.travel(local(2030, 1, 6, 8, 35), tick=False):
        assert scheduled_notifications_dispatch() == 1
    assert _reminders(schedule) == 2
    latest = Notification.objects.filter(kind="hospital.medication_dose").order_by("-id").first()
    assert "08:00" in latest.body  # the original time, not the snooze's end


@pytest.mark.parametrize("minutes", [4, 121, "10"])
def test_snooze_length_is_5_to_120_minutes(minutes):
    schedule = schedule_for(local(2030, 1, 6, 7, 0))
    dose = schedule.doses.first()
    with time_machine.travel(local(2030, 1, 6, 8), tick=False), pytest.raises(DomainError):
        services.medication_dose_snooze(
            account=schedule.patient.account, dose_id=dose.pk, minutes=minutes
        )


def test_snooze_cannot_run_past_the_doses_window_nor_on_a_marked_dose():
    schedule = schedule_for(local(2030, 1, 6, 7, 0))
    dose = schedule.doses.first()
    account = schedule.patient.account
    with time_machine.travel(local(2030, 1, 6, 9, 30), tick=False):
        with pytest.raises(DomainError, match="10:00"):
            services.medication_dose_snooze(account=account, dose_id=dose.pk, minutes=30)
        services.medication_dose_mark(account=account, dose_id=dose.pk, status="taken")
        with pytest.raises(Conflict):
            services.medication_dose_snooze(account=account, dose_id=dose.pk, minutes=10)


def test_an_important_dose_is_reminded_again_until_taken():
    schedule = schedule_for(local(2030, 1, 6, 7, 0), frequency="QD", is_important=True)
    dose = schedule.doses.get(due_at=local(2030, 1, 6, 8))
    for minute in (0, 15, 30):
        with time_machine.travel(local(2030, 1, 6, 8, minute), tick=False):
            assert scheduled_notifications_dispatch() == 1
    with time_machine.travel(local(2030, 1, 6, 8, 40), tick=False):
        assert scheduled_notifications_dispatch() == 0
        services.medication_dose_mark(
            account=schedule.patient.account, dose_id=dose.pk, status="taken"
        )
    with time_machine.travel(local(2030, 1, 6, 8, 45), tick=False):
        assert scheduled_notifications_dispatch() == 0
    assert _reminders(schedule) == 3


def test_an_important_dose_stops_after_the_last_repeat():
    schedule = schedule_for(local(2030, 1, 6, 7, 0), frequency="QD", is_important=True)
    sent = 0
    for minute in range(0, 120, 5):
        with time_machine.travel(
            local(2030, 1, 6, 8, 0) + dt.timedelta(minutes=minute), tick=False
        ):
            sent += scheduled_notifications_dispatch()
    assert sent == 5  # the first and four repeats, 15 minutes apart
    assert _reminders(schedule) == 5


def test_an_ordinary_dose_is_not_repeated():
    schedule = schedule_for(local(2030, 1, 6, 7, 0), frequency="QD")
    for minute in (0, 15, 30, 45):
        with time_machine.travel(local(2030, 1, 6, 8, minute), tick=False):
            scheduled_notifications_dispatch()
    assert _reminders(schedule) == 1


def test_moved_times_withdraw_the_old_reminders_and_book_new_ones():
    schedule = schedule_for(local(2030, 1, 6, 7, 0), frequency="QD", duration_days=2)
    old = schedule.doses.get(due_at=local(2030, 1, 7, 8))
    with time_machine.travel(local(2030, 1, 6, 9), tick=False):
        services.medication_schedule_adjust_times(
            account=schedule.patient.account, schedule_id=schedule.pk, times=["09:30"]
        )
    pending = ScheduledNotification.objects.filter(status=ScheduledNotification.Status.PENDING)
    assert not pending.filter(dedupe_key__startswith=f"dose:{old.pk}:").exists()
    later = pending.filter(due_at__gt=local(2030, 1, 6, 9))
    assert sorted(later.values_list("due_at", flat=True)) == [
        local(2030, 1, 6, 9, 30),
        local(2030, 1, 7, 9, 30),
    ]
