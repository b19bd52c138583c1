"""The monthly health bonus task: the month before's readings, counted per patient, offered to
each of their policies with a health bonus (the demo commercial plan: 20 days, 70 % in range,
¥500 more cover)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from hospital.records.models import Reading
from hospital.records.selectors import reading_months
from hospital.records.services.readings import reading_mark_entered_in_error, reading_record
from hospital.records.tasks import grant_health_incentives
from insurance import demo
from insurance.models import IncentiveGrant, Policy, PolicyYear
from tests.insurance.test_settlement import insured_patient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def early_march():
    """The task runs on the first days of March 2026 for February."""
    with time_machine.travel(timezone.make_aware(dt.datetime(2026, 3, 2, 2, 0)), tick=False):
        yield


IN_RANGE, HIGH = Decimal("5.2"), Decimal("9.8")  # fasting glucose, mmol/L


def _at(day, hour=8):
    return timezone.make_aware(dt.datetime(2026, 2, day, hour, 0))


def _record(patient, day, value=IN_RANGE, hour=8):
    return reading_record(
        actor=patient.account,
        patient_id=patient.pk,
        kind=Reading.Kind.GLUCOSE_FASTING,
        value=value,
        measured_at=_at(day, hour),
    )


def _run_in_march():
    return grant_health_incentives()


def _commercial(patient):
    return Policy.objects.get(patient=patient, plan__code=demo.COMMERCIAL_PLAN)


def test_a_steady_february_earns_the_bonus_on_the_first_of_march():
    patient, _social = insured_patient()
    for day in range(1, 21):  # 20 days, 3 of them high: 20 of 23 readings in range
        _record(patient, day)
    for day in (2, 3, 4):
        _record(patient, day, value=HIGH, hour=20)

    assert _run_in_march() == 1

    grant = IncentiveGrant.objects.get()
    assert grant.policy == _commercial(patient)
    assert grant.month == dt.date(2026, 2, 1)
    assert (grant.days_recorded, grant.in_range_share_bp) == (20, 8695)
    assert PolicyYear.objects.get(policy=grant.policy, year=2026).bonus_cover_fen == 50_000


def test_running_the_month_again_grants_nothing_twice():
    patient, _social = insured_patient()
    for day in range(1, 25):
        _record(patient, day)
    _run_in_march()
    _run_in_march()
    assert IncentiveGrant.objects.count() == 1
    assert PolicyYear.objects.get(policy=_commercial(patient), year=2026).bonus_cover_fen == 50_000


def test_too_few_days_or_too_many_high_readings_earn_nothing():
    few, _ = insured_patient()
    for day in range(1, 20):  # 19 days
        _record(few, day)
    high, _ = insured_patient()
    for day in range(1, 25):
        _record(high, day, value=HIGH if day % 3 == 0 else IN_RANGE)  # 16 of 24: 66.7 %

    assert _run_in_march() == 0
    assert not IncentiveGrant.objects.exists()


def test_readings_entered_in_error_and_of_other_months_do_not_count():
    patient, _social = insured_patient()
    readings = [_record(patient, day) for day in range(1, 21)]
    reading_mark_entered_in_error(
        actor=patient.account, patient_id=patient.pk, reading_id=readings[0].pk
    )
    reading_record(
        actor=patient.account,
        patient_id=patient.pk,
        kind=Reading.Kind.GLUCOSE_FASTING,
        value=IN_RANGE,
        measured_at=timezone.make_aware(dt.datetime(2026, 1, 31, 23, 30)),
    )

    (figures,) = reading_months(month=dt.date(2026, 2, 1))
    assert (figures.days_recorded, figures.readings) == (19, 19)
    assert _run_in_march() == 0


def test_days_are_counted_in_china_time():
    patient, _social = insured_patient()
    # 07:30 in Beijing on 1 March is still 28 February in UTC: it belongs to March here.
    reading_record(
        actor=patient.account,
        patient_id=patient.pk,
        kind=Reading.Kind.GLUCOSE_FASTING,
        value=IN_RANGE,
        measured_at=timezone.make_aware(dt.datetime(2026, 3, 1, 7, 30)),
    )
    assert reading_months(month=dt.date(2026, 2, 1)) == []
    (march,) = reading_months(month=dt.date(2026, 3, 1))
    assert march.days_recorded == 1
