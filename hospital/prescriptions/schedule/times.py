"""Dose times by frequency, in the hospital's local time (Asia/Shanghai).

A frequency code gives the times of day and the days a dose falls on: every day, every other
day from the first day (QOD), or once a week on the first day's weekday (QW). PRN ("as
needed"), STAT and codes without default times give no schedule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence

from django.utils import timezone

from hospital.rules import figure

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# How many days apart the dose days are, for codes that are not taken every day.
DAY_STEP = {"QOD": 2, "QW": 7}


def frequency_code(frequency: str) -> str:
    return re.sub(r"[\s.]", "", frequency or "").upper()


def default_times(frequency: str) -> tuple[str, ...]:
    """The default local times of day for a frequency, or () when it gives no schedule."""
    return tuple(figure("MEDICATION_DOSE_TIMES").get(frequency_code(frequency), ()))


def parse_time(value: str) -> dt.time | None:
    match = _TIME.match((value or "").strip())
    if match is None:
        return None
    return dt.time(int(match.group(1)), int(match.group(2)))


def local_zone() -> dt.tzinfo:
    return timezone.get_default_timezone()


def dose_times_between(
    *,
    frequency: str,
    times_of_day: Sequence[str],
    first_day: dt.date,
    start: dt.datetime,
    end: dt.datetime,
) -> Iterator[dt.datetime]:
    """Every dose time in [start, end), on the dose days counted from `first_day`."""
    zone = local_zone()
    step = DAY_STEP.get(frequency_code(frequency), 1)
    times = sorted(t for t in (parse_time(v) for v in times_of_day) if t is not None)
    if not times:
        return
    day = first_day
    last_day = timezone.localtime(end, zone).date()
    # Jump to the first dose day not before `start` (adjustments start mid-supply).
    start_day = timezone.localtime(start, zone).date()
    if start_day > day:
        day += dt.timedelta(days=((start_day - day).days // step) * step)
    while day <= last_day:
        for time_of_day in times:
            due = dt.datetime.combine(day, time_of_day, tzinfo=zone)
            if start <= due < end:
                yield due
        day += dt.timedelta(days=step)
