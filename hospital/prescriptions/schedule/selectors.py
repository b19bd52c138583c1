"""Reads of the medication schedule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from hospital.prescriptions.schedule.models import MedicationDose, MedicationSchedule
from hospital.prescriptions.schedule.times import local_zone


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = local_zone()
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)
    return start, start + dt.timedelta(days=1)


def medication_schedule_list(
    *, account: Any, day: dt.date | None = None, patient_id: int | None = None
) -> QuerySet[MedicationSchedule]:
    """The schedules running on `day` (today unless told) of the people this account acts for,
    each with that day's doses in `day_doses`. Two queries, however many schedules."""
    day = day or timezone.localtime(timezone.now(), local_zone()).date()
    start, end = day_bounds(day)
    schedules = medication_schedules_of(account).filter(started_at__lt=end, ends_at__gt=start)
    if patient_id is not None:
        schedules = schedules.filter(patient_id=patient_id)
    return (
        schedules.select_related("drug", "patient", "prescription_item__prescription")
        .prefetch_related(
            Prefetch(
                "doses",
                queryset=MedicationDose.objects.filter(due_at__gte=start, due_at__lt=end).order_by(
                    "due_at", "pk"
                ),
                to_attr="day_doses",
            )
        )
        .order_by("patient_id", "drug__generic_name_en", "pk")
    )


def schedule_days_left(schedule: MedicationSchedule, *, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    zone = local_zone()
    return max(
        (
            timezone.localtime(schedule.ends_at, zone).date() - timezone.localtime(now, zone).date()
        ).days,
        0,
    )


def medication_schedules_of(account: Any) -> QuerySet[MedicationSchedule]:
    """The schedules of the people this account acts for."""
    return MedicationSchedule.objects.filter(
        patient__account_id=getattr(account, "pk", None), patient__is_archived=False
    )


def medication_doses_of(account: Any) -> QuerySet[MedicationDose]:
    return MedicationDose.objects.filter(
        schedule__patient__account_id=getattr(account, "pk", None),
        schedule__patient__is_archived=False,
    )


def medication_schedule_check_own(*, account: Any, schedule_id: int) -> None:
    if not medication_schedules_of(account).filter(pk=schedule_id).exists():
        raise NotFound(_("No such medication schedule."))


def medication_dose_check_own(*, account: Any, dose_id: int) -> None:
    if not medication_doses_of(account).filter(pk=dose_id).exists():
        raise NotFound(_("No such dose."))
