"""Helpers for the medication schedule: a delivered prescription item and its schedule, at a
fixed local time (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from hospital.prescriptions.schedule.models import MedicationSchedule
from hospital.prescriptions.schedule.services import medication_schedule_start
from tests.hospital.review_factories import ApprovedPrescriptionFactory, PrescriptionItemFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def delivered_item(*, prescription: Any = None, **item_fields: Any) -> Any:
    prescription = prescription or ApprovedPrescriptionFactory(item=None)
    return PrescriptionItemFactory(prescription=prescription, **item_fields)


def schedule_for(
    started_at: dt.datetime, *, prescription: Any = None, **item_fields: Any
) -> MedicationSchedule:
    item = delivered_item(prescription=prescription, **item_fields)
    (schedule,) = medication_schedule_start(prescription_item_ids=[item.pk], started_at=started_at)
    return schedule


def local_times(schedule: MedicationSchedule) -> list[str]:
    return [
        d.due_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")
        for d in schedule.doses.order_by("due_at")
    ]
