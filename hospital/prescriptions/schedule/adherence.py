"""Adherence over a window of days: proportion of days covered (PDC) by the supplies delivered,
and the share of due doses the patient marked taken.

PDC per drug: each supply covers its days from delivery; a supply that arrives while the one
before still lasts starts when that one runs out (the patient finishes the first pack before
opening the next), so overlapping supplies are not counted twice. The days counted run from
the first supply (or the window's start, if later) to the window's end. The patient's PDC is
the mean over their drugs. ≥ 80 % is the usual adherence line.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from hospital.prescriptions.schedule.models import MedicationDose, MedicationSchedule
from hospital.prescriptions.schedule.times import local_zone
from hospital.rules import figure

D = MedicationDose.Status


def _ratio(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


@dataclass
class DrugAdherence:
    drug_id: int
    drug_name: str
    days_counted: int = 0
    days_covered: int = 0
    doses_due: int = 0
    doses_taken: int = 0

    @property
    def pdc(self) -> Decimal | None:
        return _ratio(self.days_covered, self.days_counted)

    @property
    def doses_taken_share(self) -> Decimal | None:
        return _ratio(self.doses_taken, self.doses_due)

    @property
    def meets_line(self) -> bool | None:
        return (
            None if self.pdc is None else self.pdc >= Decimal(figure("MEDICATION_ADHERENCE_LINE"))
        )


@dataclass
class Adherence:
    window_start: dt.date
    window_end: dt.date
    line: Decimal
    drugs: list[DrugAdherence] = field(default_factory=list)

    @property
    def pdc(self) -> Decimal | None:
        values = [d.pdc for d in self.drugs if d.pdc is not None]
        if not values:
            return None
        return (sum(values, Decimal(0)) / len(values)).quantize(
            Decimal("0.001"), rounding=ROUND_HALF_UP
        )

    @property
    def doses_due(self) -> int:
        return sum(d.doses_due for d in self.drugs)

    @property
    def doses_taken(self) -> int:
        return sum(d.doses_taken for d in self.drugs)

    @property
    def doses_taken_share(self) -> Decimal | None:
        return _ratio(self.doses_taken, self.doses_due)

    @property
    def meets_line(self) -> bool | None:
        return None if self.pdc is None else self.pdc >= self.line


def covered_days(
    supplies: list[tuple[dt.date, int]], *, window_start: dt.date, window_end: dt.date
) -> tuple[int, int]:
    """(days covered, days counted) in [window_start, window_end] for (first day, days) supplies,
    each shifted past the one before when they overlap."""
    if not supplies:
        return 0, 0
    covered: set[dt.date] = set()
    next_free: dt.date | None = None
    first = min(start for start, _days in supplies)
    for start, days in sorted(supplies):
        begin = max(start, next_free) if next_free else start
        for offset in range(days):
            covered.add(begin + dt.timedelta(days=offset))
        next_free = begin + dt.timedelta(days=days)
    counted_from = max(first, window_start)
    if counted_from > window_end:
        return 0, 0
    counted = (window_end - counted_from).days + 1
    in_window = sum(1 for day in covered if counted_from <= day <= window_end)
    return in_window, counted


def patient_adherence(
    *, patient_id: int, now: dt.datetime | None = None, days: int | None = None
) -> Adherence:
    """The patient's adherence per drug over the last `days` days (today included). Two queries."""
    now = now or timezone.now()
    zone = local_zone()
    days = days or figure("MEDICATION_ADHERENCE_WINDOW_DAYS")
    window_end = timezone.localtime(now, zone).date()
    window_start = window_end - dt.timedelta(days=days - 1)
    window_start_at = dt.datetime.combine(window_start, dt.time(0, 0), tzinfo=zone)
    schedules = list(
        MedicationSchedule.objects.filter(patient_id=patient_id, started_at__lte=now)
        .select_related("drug")
        .order_by("started_at", "pk")
    )
    supplies: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    names: dict[int, str] = {}
    for schedule in schedules:
        supplies[schedule.drug_id].append(
            (timezone.localtime(schedule.started_at, zone).date(), schedule.supply_days)
        )
        names[schedule.drug_id] = schedule.drug.display_name
    closes_before = now - figure("MEDICATION_DOSE_MISSED_AFTER")
    # A dose counts once it is answered or its window has closed; an open one not yet.
    counts = (
        MedicationDose.objects.filter(
            schedule__patient_id=patient_id, due_at__gte=window_start_at, due_at__lte=now
        )
        .filter(~Q(status=D.SCHEDULED) | Q(due_at__lte=closes_before))
        .values("schedule__drug_id")
        .annotate(due=Count("pk"), taken=Count("pk", filter=Q(status=D.TAKEN)))
    )
    dose_counts = {row["schedule__drug_id"]: (row["due"], row["taken"]) for row in counts}
    result = Adherence(
        window_start=window_start,
        window_end=window_end,
        line=Decimal(figure("MEDICATION_ADHERENCE_LINE")),
    )
    for drug_id, drug_supplies in supplies.items():
        days_covered, days_counted = covered_days(
            drug_supplies, window_start=window_start, window_end=window_end
        )
        if days_counted == 0:
            continue
        due, taken = dose_counts.get(drug_id, (0, 0))
        result.drugs.append(
            DrugAdherence(
                drug_id=drug_id,
                drug_name=names[drug_id],
                days_counted=days_counted,
                days_covered=days_covered,
                doses_due=due,
                doses_taken=taken,
            )
        )
    result.drugs.sort(key=lambda d: d.drug_name)
    return result


def percent(value: Any) -> str:
    """0.857 → "86 %" for the pages; "—" when there is nothing to measure yet."""
    if value is None:
        return "—"
    return f"{(Decimal(value) * 100).quantize(Decimal('1'), rounding=ROUND_HALF_UP)} %"
