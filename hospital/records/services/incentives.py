"""The month's self-monitoring figures sent to the patients' insurers for their health bonus.

Only the figures leave the record (days with readings, the share in range); the insurer
decides the bonus by its plan's rule.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from hospital.records.selectors import reading_months
from insurance.selectors import policies_with_incentive
from insurance.services.incentives import incentive_grant, month_last_day


def previous_month(today: dt.date | None = None) -> dt.date:
    first = (today or timezone.localdate()).replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def health_incentives_grant(*, month: dt.date) -> int:
    """Offers each patient's figures for the month to each of their policies with a health
    bonus; returns how many policies hold a bonus for the month. Safe to run again: a policy
    is granted a month once."""
    month = month.replace(day=1)
    granted = 0
    for figures in reading_months(month=month):
        for policy in policies_with_incentive(
            patient_id=figures.patient_id, on=month_last_day(month)
        ):
            grant = incentive_grant(
                policy_id=policy.pk,
                month=month,
                days_recorded=figures.days_recorded,
                in_range_share_bp=figures.in_range_share_bp,
            )
            granted += grant is not None
    return granted
