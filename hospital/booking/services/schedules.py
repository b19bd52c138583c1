"""Doctors' availability and the slots opened from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError, NotFound
from hospital.booking.models import ScheduleException, Slot, WeeklyAvailability
from hospital.doctors.models import ConsultationMode, DoctorProfile
from hospital.rules import figure


def _session_slots(
    *, day: dt.date, start: dt.time, end: dt.time, minutes: int
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    tz = timezone.get_current_timezone()
    cursor = dt.datetime.combine(day, start, tzinfo=tz)
    finish = dt.datetime.combine(day, end, tzinfo=tz)
    step = dt.timedelta(minutes=minutes)
    while cursor + step <= finish:
        yield cursor, cursor + step
        cursor += step


def _on_leave(leave: Iterable[ScheduleException], starts: dt.datetime, ends: dt.datetime) -> bool:
    local_start, local_end = timezone.localtime(starts), timezone.localtime(ends)
    for exception in leave:
        if exception.date != local_start.date():
            continue
        if exception.start_time is None or exception.end_time is None:
            return True
        if local_start.time() < exception.end_time and local_end.time() > exception.start_time:
            return True
    return False


def slots_generate(
    *, doctor_id: int | None = None, days_ahead: int | None = None, today: dt.date | None = None
) -> int:
    """Opens the slots of the coming days from weekly availability and extra sessions, minus
    leave. Idempotent: a slot is unique by doctor, mode and start, so running it twice (or two
    workers at once) creates nothing twice. Returns how many slots were created."""
    today = today or timezone.localdate()
    days = figure("SLOT_DAYS_AHEAD") if days_ahead is None else days_ahead
    last_day = today + dt.timedelta(days=days)
    now = timezone.now()
    doctors = DoctorProfile.objects.filter(is_suspended=False)
    if doctor_id is not None:
        doctors = doctors.filter(pk=doctor_id)
    created = 0
    for doctor in doctors.prefetch_related("weekly_availability"):
        exceptions = list(doctor.schedule_exceptions.filter(date__gte=today, date__lte=last_day))
        leave = [e for e in exceptions if e.kind == ScheduleException.Kind.LEAVE]
        wanted: list[Slot] = []
        day = today
        while day <= last_day:
            sessions: list[tuple[str, Any, Any, int, int]] = [
                (a.mode, a.start_time, a.end_time, a.slot_minutes, a.capacity)
                for a in doctor.weekly_availability.all()
                if a.is_active and a.weekday == day.weekday()
            ]
            sessions += [
                (e.mode, e.start_time, e.end_time, e.slot_minutes, e.capacity)
                for e in exceptions
                if e.kind == ScheduleException.Kind.EXTRA and e.date == day
            ]
            for mode, start, end, minutes, capacity in sessions:
                if mode != ConsultationMode.TEXT:
                    capacity = 1
                for starts, ends in _session_slots(day=day, start=start, end=end, minutes=minutes):
                    if starts <= now or _on_leave(leave, starts, ends):
                        continue
                    wanted.append(
                        Slot(
                            doctor=doctor,
                            mode=mode,
                            starts_at=starts,
                            ends_at=ends,
                            capacity=capacity,
                        )
                    )
            day += dt.timedelta(days=1)
        if not wanted:
            continue
        existing = set(
            Slot.objects.filter(
                doctor=doctor, starts_at__gte=wanted[0].starts_at.replace(hour=0, minute=0)
            ).values_list("mode", "starts_at")
        )
        fresh = [s for s in wanted if (s.mode, s.starts_at) not in existing]
        # ignore_conflicts: a concurrent run that created the same slot first wins quietly.
        Slot.objects.bulk_create(fresh, ignore_conflicts=True)
        created += len(fresh)
    return created


def _doctor_of(user: Any) -> DoctorProfile:
    doctor = DoctorProfile.objects.filter(user=user).first()
    if doctor is None:
        raise NotFound(str(_("You have no doctor profile.")))
    return doctor


@transaction.atomic
def availability_add(
    *,
    doctor: DoctorProfile,
    mode: str,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    slot_minutes: int = 15,
    capacity: int = 1,
) -> WeeklyAvailability:
    if end_time <= start_time:
        raise DomainError(str(_("The session must end after it starts.")), field="end_time")
    if mode not in ConsultationMode.values:
        raise DomainError(str(_("Unknown consultation mode.")), field="mode")
    if not doctor.services.filter(mode=mode, is_active=True).exists():
        raise DomainError(str(_("Offer this mode (with its fee) first.")), field="mode")
    if mode != ConsultationMode.TEXT:
        capacity = 1
    overlapping = doctor.weekly_availability.filter(
        mode=mode,
        weekday=weekday,
        is_active=True,
        start_time__lt=end_time,
        end_time__gt=start_time,
    )
    if overlapping.exists():
        raise DomainError(str(_("This overlaps a session you already have.")), field="start_time")
    availability = WeeklyAvailability.objects.create(
        doctor=doctor,
        mode=mode,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        capacity=capacity,
    )
    _generate_later(doctor.pk)
    return availability


def availability_remove(*, doctor: DoctorProfile, availability_id: int) -> None:
    """Stops a weekly session. Slots already opened stay (patients may hold them); free ones
    are closed."""
    availability = doctor.weekly_availability.filter(pk=availability_id).first()
    if availability is None:
        raise NotFound(str(_("No such session.")))
    availability.is_active = False
    availability.save(update_fields=["is_active"])
    for slot in Slot.objects.filter(
        doctor=doctor,
        mode=availability.mode,
        starts_at__gt=timezone.now(),
        booked_count=0,
        is_closed=False,
    ):
        local = timezone.localtime(slot.starts_at)
        if (
            local.weekday() == availability.weekday
            and availability.start_time <= local.time() < availability.end_time
        ):
            Slot.objects.filter(pk=slot.pk, booked_count=0).update(is_closed=True)


@transaction.atomic
def exception_add(
    *,
    doctor: DoctorProfile,
    kind: str,
    date: dt.date,
    start_time: dt.time | None = None,
    end_time: dt.time | None = None,
    mode: str = "",
    slot_minutes: int = 15,
    capacity: int = 1,
    note: str = "",
) -> ScheduleException:
    """Leave closes the free slots it covers (booked ones stay for the doctor to cancel);
    an extra session opens its slots."""
    if date < timezone.localdate():
        raise DomainError(str(_("The date is in the past.")), field="date")
    if (start_time is None) != (end_time is None) or (
        start_time and end_time and end_time <= start_time
    ):
        raise DomainError(str(_("Give both times, the end after the start.")), field="end_time")
    if kind == ScheduleException.Kind.EXTRA:
        if not mode or start_time is None:
            raise DomainError(str(_("An extra session needs a mode and times.")), field="mode")
        if not doctor.services.filter(mode=mode, is_active=True).exists():
            raise DomainError(str(_("Offer this mode (with its fee) first.")), field="mode")
        if mode != ConsultationMode.TEXT:
            capacity = 1
    exception = ScheduleException.objects.create(
        doctor=doctor,
        kind=kind,
        date=date,
        start_time=start_time,
        end_time=end_time,
        mode=mode if kind == ScheduleException.Kind.EXTRA else "",
        slot_minutes=slot_minutes,
        capacity=capacity,
        note=note,
    )
    if kind == ScheduleException.Kind.LEAVE:
        for slot in Slot.objects.filter(
            doctor=doctor, booked_count=0, is_closed=False, starts_at__date=date
        ):
            if _on_leave([exception], slot.starts_at, slot.ends_at):
                Slot.objects.filter(pk=slot.pk, booked_count=0).update(is_closed=True)
    else:
        _generate_later(doctor.pk)
    return exception


def _generate_later(doctor_id: int) -> None:
    """Slots for the changed week, by the worker: through the outbox, so a broker that is down
    when the doctor saves the session delays the slots instead of losing them."""
    from core.outbox import outbox_enqueue
    from hospital.booking.tasks import generate_slots

    outbox_enqueue(generate_slots, doctor_id=doctor_id)
