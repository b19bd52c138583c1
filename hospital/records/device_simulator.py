"""A glucose meter and blood-pressure monitor for the demo and the tests, sending through the
same service a real device's requests reach: a week of a person with type 2 diabetes and
hypertension measuring at home, fasting glucose every morning, after dinner most days, blood
pressure morning and evening, with the odd high value a doctor would want to hear about."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from hospital.records.models import Device, Reading
from hospital.records.services.devices import device_reading_record


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def device_simulate_week(
    *, device: Device, days: int = 7, end: dt.date | None = None, seed: int = 0
) -> tuple[int, int]:
    """Sends `days` days of readings ending yesterday (or `end`); returns how many were new and
    how many were resent duplicates (running it twice sends the same ids, so nothing doubles)."""
    end = end or timezone.localdate() - dt.timedelta(days=1)
    new = repeated = 0
    for offset in range(days - 1, -1, -1):
        day = end - dt.timedelta(days=offset)
        # One sequence per device and day: a day sent again has the same figures under the same
        # ids, whenever the week is run. Figures for a demo, not secrets.
        rng = random.Random(f"{seed or device.pk}-{day.isoformat()}")  # noqa: S311
        sends: list[tuple[str, str, Decimal, Decimal | None, dt.datetime]] = []
        fasting = Decimal(str(round(rng.gauss(6.6, 0.7), 1)))
        if day.weekday() == 5:
            fasting = Decimal("11.2")  # a high Saturday morning after a late meal
        sends.append(("fasting", Reading.Kind.GLUCOSE_FASTING, fasting, None, _at(day, 7, 5)))
        if rng.random() < 0.8:
            after = Decimal(str(round(rng.gauss(8.9, 1.1), 1)))
            sends.append(
                ("postprandial", Reading.Kind.GLUCOSE_POSTPRANDIAL, after, None, _at(day, 20, 10))
            )
        for label, hour in (("bp-am", 7), ("bp-pm", 21)):
            systolic = Decimal(rng.randint(124, 146))
            diastolic = Decimal(rng.randint(78, 92))
            sends.append(
                (label, Reading.Kind.BLOOD_PRESSURE, systolic, diastolic, _at(day, hour, 20))
            )
        for label, kind, value, value2, at in sends:
            _reading, created = device_reading_record(
                device=device,
                reading_id=f"sim-{day.isoformat()}-{label}",
                kind=kind,
                value=value,
                value2=value2,
                measured_at=at,
            )
            new, repeated = (new + 1, repeated) if created else (new, repeated + 1)
    return new, repeated
