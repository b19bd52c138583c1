"""Reminders to test on the schedule the doctor sets (the glucose-meter pattern): the treating
doctor sets a kind of reading and its times of day (fasting glucose daily at 07:00); each time
becomes a reminder booked ahead as a scheduled notice ("device-test:<id>:<date>T<time>"), sent
by the notifications scan. A daily run books the days ahead; a changed or stopped schedule
withdraws what it had booked and not yet sent. A dedupe key is never sent twice."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.exceptions import DomainError, NotFound
from core.system_text import system_label, system_text
from hospital.doctors.models import DoctorProfile
from hospital.records.access import record_access_resolve
from hospital.records.models import DeviceTestSchedule
from hospital.records.services.entries import TREATING_DOCTOR, record_entry_log
from hospital.rules import figure
from notifications.kinds import kind_register
from notifications.services import notification_schedule, notification_schedule_cancel

DEVICE_TEST_KIND = kind_register(
    "hospital.device_test_reminder", gettext_lazy("Reminder to test with your device")
).key

MAX_TIMES_A_DAY = 6
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _checked_times(times: Sequence[str]) -> list[str]:
    parsed = []
    for value in times:
        match = _TIME.match(str(value).strip())
        if match is None:
            raise DomainError(_("Give each time as HH:MM, for example 07:00."), field="times")
        parsed.append(f"{int(match.group(1)):02d}:{match.group(2)}")
    if not parsed:
        raise DomainError(_("Give at least one time of day."), field="times")
    if len(parsed) > MAX_TIMES_A_DAY:
        raise DomainError(_("At most %(n)s times a day.") % {"n": MAX_TIMES_A_DAY}, field="times")
    if len(set(parsed)) != len(parsed):
        raise DomainError(_("Give different times."), field="times")
    return sorted(parsed)


def _key_prefix(schedule_id: int) -> str:
    # The trailing colon keeps schedule 1's prefix from matching schedule 12's keys.
    return f"device-test:{schedule_id}:"


def _doctor_of(user: Any) -> DoctorProfile:
    user_id = getattr(user, "pk", None)
    doctor = DoctorProfile.objects.filter(user_id=user_id).first() if user_id else None
    if doctor is None:
        raise NotFound(_("Patient not found."))
    return doctor


def device_test_schedule_set(
    *,
    doctor_user: Any,
    patient_id: int,
    kind: str,
    times: Sequence[str],
    note: str = "",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> DeviceTestSchedule:
    """The treating doctor asks the patient to test `kind` at `times` each day, from
    `starts_on` (today) until `ends_on` (open-ended). A schedule the doctor set before for the
    same kind is replaced: its unsent reminders are withdrawn. Only a doctor treating the
    patient now may set one; anyone else finds no patient."""
    patient, _reason = record_access_resolve(
        user=doctor_user,
        patient_id=patient_id,
        action="create",
        object_type="devicetestschedule",
        allowed_reasons=frozenset({TREATING_DOCTOR}),
        log_success=False,
    )
    doctor = _doctor_of(doctor_user)
    if kind not in DeviceTestSchedule.TESTABLE_KINDS:
        raise DomainError(_("Choose a reading a device at home measures."), field="kind")
    checked = _checked_times(times)
    today = timezone.localdate()
    starts_on = starts_on or today
    if starts_on < today:
        raise DomainError(_("A schedule cannot start in the past."), field="starts_on")
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_("The end comes before the start."), field="ends_on")
    with transaction.atomic():
        replaced = list(
            DeviceTestSchedule.objects.select_for_update()
            .filter(patient=patient, kind=kind, stopped_at__isnull=True)
            .order_by("pk")
        )
        for old in replaced:
            _stop(old)
        schedule = DeviceTestSchedule.objects.create(
            patient=patient,
            kind=kind,
            times_of_day=checked,
            note=note.strip()[:200],
            set_by=doctor,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        record_entry_log(doctor_user, patient, "create", schedule)
        _plan(schedule, now=timezone.now())
    return schedule


def _stop(schedule: DeviceTestSchedule) -> None:
    schedule.stopped_at = timezone.now()
    schedule.save(update_fields=["stopped_at", "updated_at"])
    notification_schedule_cancel(dedupe_key_prefix=_key_prefix(schedule.pk))


def device_test_schedule_stop(*, doctor_user: Any, schedule_id: int) -> DeviceTestSchedule:
    """The treating doctor stops a schedule; its unsent reminders are withdrawn. Stopping it
    again changes nothing."""
    schedule = DeviceTestSchedule.objects.filter(pk=schedule_id).first()
    if schedule is None:
        raise NotFound(_("No such test schedule."))
    try:
        patient, _reason = record_access_resolve(
            user=doctor_user,
            patient_id=schedule.patient_id,
            action="update",
            object_type="devicetestschedule",
            object_id=schedule_id,
            allowed_reasons=frozenset({TREATING_DOCTOR}),
            log_success=False,
        )
    except NotFound as refused:
        # Said as for a missing schedule, so the answer does not tell that one exists.
        raise NotFound(_("No such test schedule.")) from refused
    with transaction.atomic():
        schedule = DeviceTestSchedule.objects.select_for_update().get(pk=schedule_id)
        if schedule.stopped_at is None:
            _stop(schedule)
            record_entry_log(doctor_user, patient, "update", schedule, "stopped")
    return schedule


def _plan(schedule: DeviceTestSchedule, *, now: dt.datetime) -> int:
    """Books the schedule's reminders from now over the days ahead; returns how many."""
    zone = timezone.get_default_timezone()
    today = timezone.localtime(now, zone).date()
    booked = 0
    patient = schedule.patient
    for offset in range(figure("DEVICE_TEST_REMINDERS_AHEAD_DAYS")):
        day = today + dt.timedelta(days=offset)
        if day < schedule.starts_on or (schedule.ends_on and day > schedule.ends_on):
            continue
        for time_text in schedule.times_of_day:
            hour, minute = (int(part) for part in time_text.split(":"))
            due_at = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)
            if due_at <= now:
                continue
            notification_schedule(
                recipient=patient.account,
                kind=DEVICE_TEST_KIND,
                due_at=due_at,
                subject=system_text(
                    gettext_noop("Time to measure: %(kind)s"),
                    kind=system_label(schedule.get_kind_display()),
                ),
                body=system_text(
                    gettext_noop(
                        "%(patient)s: Dr. %(doctor)s asked for a %(kind)s reading at %(time)s. "
                        "Measure with your paired device; it sends the reading to your record."
                    ),
                    patient=patient.real_name,
                    doctor=schedule.set_by.name,
                    kind=system_label(schedule.get_kind_display()),
                    time=time_text,
                )
                if not schedule.note
                else system_text(
                    gettext_noop(
                        "%(patient)s: Dr. %(doctor)s asked for a %(kind)s reading at %(time)s "
                        "(%(note)s). Measure with your paired device; it sends the reading to "
                        "your record."
                    ),
                    patient=patient.real_name,
                    doctor=schedule.set_by.name,
                    kind=system_label(schedule.get_kind_display()),
                    time=time_text,
                    note=schedule.note,
                ),
                dedupe_key=f"{_key_prefix(schedule.pk)}{day.isoformat()}T{time_text}",
                link=f"/records/{patient.pk}/",
                # The doctor chose the time (a fasting test at 07:00 is before breakfast, inside
                # the default quiet hours): the reminder comes then, not after them.
                critical=True,
            )
            booked += 1
    return booked


def device_test_reminders_plan(*, now: dt.datetime | None = None) -> int:
    """The daily run: every running schedule books its reminders over the days ahead; a run
    repeated books nothing twice. Returns how many reminders were booked or confirmed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    running = (
        DeviceTestSchedule.objects.filter(
            stopped_at__isnull=True,
            starts_on__lte=today + dt.timedelta(days=figure("DEVICE_TEST_REMINDERS_AHEAD_DAYS")),
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("patient__account", "set_by")
        .order_by("pk")
    )
    booked = 0
    for schedule in running:
        if schedule.patient.is_archived:
            continue
        with transaction.atomic():
            booked += _plan(schedule, now=now)
    return booked
