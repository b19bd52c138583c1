"""Writes of the medication schedule: start it on delivery, move its times, mark doses, snooze,
and the scans that mark missed doses and send refill reminders. Dose reminders are booked
ahead as scheduled notices (schedule/reminders.py).

The pharmacy starts a schedule when an order's delivery completes (pharmacy → hospital); the
hospital never asks the shop. Every scan is safe to run twice: doses are claimed with a row
lock that skips rows another worker holds, and each reminder carries a dedupe key.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.exceptions import Conflict, DomainError, NotFound
from core.system_text import system_text
from hospital.prescriptions.models import PrescriptionItem
from hospital.prescriptions.schedule import reminders, selectors
from hospital.prescriptions.schedule.models import MedicationDose, MedicationSchedule
from hospital.prescriptions.schedule.times import (
    default_times,
    dose_times_between,
    frequency_code,
    local_zone,
    parse_time,
)
from hospital.prescriptions.services.renewals import prescription_is_chronic
from hospital.rules import figure
from notifications.kinds import kind_register

logger = logging.getLogger(__name__)
D = MedicationDose.Status
MARKED = (D.TAKEN, D.SKIPPED)
SCAN_BATCH = 500

kind_register("hospital.medication_refill", gettext_lazy("Medicine running out"))


def _dose_text(item: PrescriptionItem) -> str:
    return f"{item.dose.normalize():f} {item.dose_unit}".strip()


def _doses_create(schedule: MedicationSchedule, *, start: dt.datetime) -> list[MedicationDose]:
    """The schedule's doses from `start` to the end of its supply (existing times kept)."""
    first_day = timezone.localtime(schedule.started_at, local_zone()).date()
    doses = [
        MedicationDose(schedule=schedule, due_at=due)
        for due in dose_times_between(
            frequency=schedule.frequency,
            times_of_day=schedule.times_of_day,
            first_day=first_day,
            start=start,
            end=schedule.ends_at,
        )
    ]
    MedicationDose.objects.bulk_create(doses, ignore_conflicts=True)
    created = list(
        MedicationDose.objects.filter(
            schedule=schedule, due_at__in=[d.due_at for d in doses], status=D.SCHEDULED
        )
    )
    for dose in created:
        reminders.dose_reminder_plan(dose, schedule=schedule)
    return created


@transaction.atomic
def medication_schedule_start(
    *, prescription_item_ids: Iterable[int], started_at: dt.datetime
) -> list[MedicationSchedule]:
    """Starts the patient's schedule for each delivered prescription item, once per item.

    The doses run over the item's days of supply from the delivery. PRN and other codes with
    no fixed times get no schedule (the patient takes them when needed). Calling again for
    the same item (a retried delivery task) changes nothing.
    """
    schedules: list[MedicationSchedule] = []
    items = (
        PrescriptionItem.objects.select_related("prescription", "drug")
        .filter(pk__in=sorted(set(prescription_item_ids)))
        .order_by("pk")
    )
    for item in items:
        existing = MedicationSchedule.objects.filter(prescription_item=item).first()
        if existing is not None:
            schedules.append(existing)
            continue
        times = default_times(item.frequency)
        if not times:
            continue
        schedule = MedicationSchedule.objects.create(
            patient_id=item.prescription.patient_id,
            prescription_item=item,
            drug=item.drug,
            dose_text=_dose_text(item),
            frequency=frequency_code(item.frequency),
            times_of_day=list(times),
            instructions=item.instructions,
            started_at=started_at,
            supply_days=item.duration_days,
            ends_at=started_at + dt.timedelta(days=item.duration_days),
            is_important=item.is_important,
            is_chronic=prescription_is_chronic(item.prescription),
        )
        _doses_create(schedule, start=started_at)
        schedules.append(schedule)
    return schedules


def _own_schedule(account: Any, schedule_id: int) -> MedicationSchedule:
    schedule = (
        selectors.medication_schedules_of(account)
        .select_for_update(of=("self",))
        .select_related("patient", "drug")
        .filter(pk=schedule_id)
        .first()
    )
    if schedule is None:
        raise NotFound(_("No such medication schedule."))
    return schedule


def _checked_times(schedule: MedicationSchedule, times: Sequence[str]) -> list[str]:
    parsed = [parse_time(str(value)) for value in times]
    if any(value is None for value in parsed):
        raise DomainError(_("Give each time as HH:MM, for example 08:30."), field="times")
    wanted = len(schedule.times_of_day)
    if len(parsed) != wanted:
        raise DomainError(
            _("This medicine is taken %(n)s time(s) a day: give %(n)s time(s).") % {"n": wanted},
            field="times",
        )
    result = sorted(f"{t:%H:%M}" for t in parsed if t is not None)
    if len(set(result)) != len(result):
        raise DomainError(_("Give different times."), field="times")
    return result


@transaction.atomic
def medication_schedule_adjust_times(
    *, account: Any, schedule_id: int, times: Sequence[str], now: dt.datetime | None = None
) -> MedicationSchedule:
    """The patient moves the dose times. Only doses still to come change: past doses, and any
    dose already taken, skipped or snoozed, keep their times and answers."""
    now = now or timezone.now()
    schedule = _own_schedule(account, schedule_id)
    new_times = _checked_times(schedule, times)
    if new_times == list(schedule.times_of_day):
        return schedule
    schedule.times_of_day = new_times
    schedule.save(update_fields=["times_of_day", "updated_at"])
    future = MedicationDose.objects.filter(
        schedule=schedule, status=D.SCHEDULED, due_at__gt=now, snoozed_until__isnull=True
    )
    reminders.dose_reminders_cancel(list(future.values_list("pk", flat=True)))
    future.delete()
    _doses_create(schedule, start=max(now, schedule.started_at))
    return schedule


def _own_dose(account: Any, dose_id: int) -> MedicationDose:
    dose = (
        selectors.medication_doses_of(account)
        .select_for_update(of=("self",))
        .select_related("schedule", "schedule__drug", "schedule__patient")
        .filter(pk=dose_id)
        .first()
    )
    if dose is None:
        raise NotFound(_("No such dose."))
    return dose


def _already_marked(dose: MedicationDose) -> Conflict:
    return Conflict(
        _("This dose was already marked %(status)s.") % {"status": dose.get_status_display()},
        code="dose_already_marked",
    )


@transaction.atomic
def medication_dose_mark(
    *,
    account: Any,
    dose_id: int,
    status: str,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> MedicationDose:
    """The patient says a dose was taken or skipped, at `at` (now unless told).

    A missed dose may still be recorded late (the patient remembers taking it). A dose cannot
    be marked long before it is due, nor at a time still to come.
    """
    now = now or timezone.now()
    if status not in MARKED:
        raise DomainError(_("Say taken or skipped."), field="status")
    at = at or now
    if timezone.is_naive(at):
        raise DomainError(_("Give the time with its time zone."), field="at")
    if at > now + dt.timedelta(minutes=1):
        raise DomainError(_("That time has not come yet."), field="at")
    dose = _own_dose(account, dose_id)
    if dose.status in MARKED:
        raise _already_marked(dose)
    opens_at = dose.due_at - figure("MEDICATION_DOSE_EARLY_WINDOW")
    if now < opens_at or at < opens_at:
        raise DomainError(
            _("This dose is due at %(time)s; it can be marked from %(opens)s.")
            % {
                "time": timezone.localtime(dose.due_at, local_zone()).strftime("%Y-%m-%d %H:%M"),
                "opens": timezone.localtime(opens_at, local_zone()).strftime("%H:%M"),
            },
            field="at",
            code="dose_not_yet_due",
        )
    dose.status = status
    dose.marked_at = at
    dose.save(update_fields=["status", "marked_at"])
    reminders.dose_reminders_cancel([dose.pk])
    return dose


@transaction.atomic
def medication_dose_snooze(
    *, account: Any, dose_id: int, minutes: int, now: dt.datetime | None = None
) -> MedicationDose:
    """Reminds again in `minutes`; the dose keeps its original time (and is missed when its
    window from that time closes, so a snooze must end before then)."""
    now = now or timezone.now()
    low, high = figure("MEDICATION_SNOOZE_MINUTES")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not low <= minutes <= high:
        raise DomainError(
            _("Snooze for %(low)s to %(high)s minutes.") % {"low": low, "high": high},
            field="minutes",
        )
    dose = _own_dose(account, dose_id)
    if dose.status != D.SCHEDULED:
        raise _already_marked(dose)
    until = now + dt.timedelta(minutes=minutes)
    closes_at = dose.due_at + figure("MEDICATION_DOSE_MISSED_AFTER")
    if until >= closes_at:
        raise DomainError(
            _("This dose's time runs out at %(time)s: take it or skip it before then.")
            % {"time": timezone.localtime(closes_at, local_zone()).strftime("%H:%M")},
            field="minutes",
            code="snooze_past_window",
        )
    dose.snoozed_until = until
    dose.save(update_fields=["snoozed_until"])
    reminders.dose_reminder_plan(dose, schedule=dose.schedule, snoozed=True)
    return dose


def medication_doses_mark_missed(*, now: dt.datetime | None = None) -> int:
    """Doses nobody marked within their window after the due time become missed."""
    now = now or timezone.now()
    closed = now - figure("MEDICATION_DOSE_MISSED_AFTER")
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                MedicationDose.objects.select_for_update(skip_locked=True)
                .filter(status=D.SCHEDULED, due_at__lte=closed)
                .order_by("pk")
                .values_list("pk", flat=True)[:SCAN_BATCH]
            )
            if not ids:
                return total
            total += MedicationDose.objects.filter(pk__in=ids, status=D.SCHEDULED).update(
                status=D.MISSED
            )
            reminders.dose_reminders_cancel(ids)


def _days_left(schedule: MedicationSchedule, today: dt.date) -> int:
    return (timezone.localtime(schedule.ends_at, local_zone()).date() - today).days


def medication_refill_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Daily: a chronic supply with few days left gets one reminder with a renewal link,
    unless a later supply of the same drug for the same patient is already on its way."""
    now = now or timezone.now()
    if timezone.localtime(now, local_zone()).hour < figure("DAILY_REMINDERS_FROM_HOUR"):
        return 0
    today = timezone.localtime(now, local_zone()).date()
    days = figure("MEDICATION_REFILL_DAYS_LEFT")
    horizon = dt.datetime.combine(
        today + dt.timedelta(days=days + 1), dt.time(0, 0), tzinfo=local_zone()
    )
    later_supply = MedicationSchedule.objects.filter(
        patient_id=OuterRef("patient_id"),
        drug_id=OuterRef("drug_id"),
        ends_at__gt=OuterRef("ends_at"),
    )
    running_out = (
        MedicationSchedule.objects.filter(is_chronic=True, ends_at__gt=now, ends_at__lt=horizon)
        .exclude(Exists(later_supply))
        .select_related("patient", "patient__account", "drug", "prescription_item")
        .order_by("pk")
    )
    sent = 0
    for schedule in running_out:
        left = max(_days_left(schedule, today), 0)
        reminders.reminder_send(
            recipient=schedule.patient.account,
            kind="hospital.medication_refill",
            subject=system_text(
                gettext_noop("%(drug)s is running out"), drug=schedule.drug.display_name
            ),
            body=system_text(
                gettext_noop(
                    "%(patient)s has %(days)s day(s) of %(drug)s left. Ask the doctor to renew "
                    "the prescription in one tap."
                ),
                patient=schedule.patient.real_name,
                days=left,
                drug=schedule.drug.display_name,
            ),
            dedupe_key=f"refill:{schedule.pk}",
            link=reverse("hospital:medications") + f"#schedule-{schedule.pk}",
            now=now,
        )
        sent += 1
    return sent
