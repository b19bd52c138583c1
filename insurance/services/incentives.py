"""Health bonus: a month of steady self-monitoring earns a commercial policy extra annual cover.

Insurance sees only the month's figures the provider sends (days with readings, the share in
range), never the readings themselves, as a payer receives a partner's summary.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from core.exceptions import DomainError
from insurance import selectors
from insurance.models import IncentiveGrant, Policy, PolicyYear
from insurance.services.coverage import year_of


def month_last_day(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@transaction.atomic
def incentive_grant(
    *, policy_id: int, month: dt.date, days_recorded: int, in_range_share_bp: int
) -> IncentiveGrant | None:
    """Grants the month's health bonus when the figures meet the rule of the plan version in
    force at the month's end: readings on at least its number of days, and at least its share
    of them in range. The bonus raises the policy year's annual maximum.

    None when the month earns nothing (no rule, rule not met, policy not active). A month
    already granted returns its grant and gives nothing more."""
    month = month.replace(day=1)
    if not 0 <= days_recorded <= calendar.monthrange(month.year, month.month)[1]:
        raise DomainError(
            _("The days with readings must be within the month."), field="days_recorded"
        )
    if not 0 <= in_range_share_bp <= 10_000:
        raise DomainError(
            _("The share in range is between 0 and 10000 basis points."), field="in_range_share_bp"
        )
    # The policy's lock queues two grants of the same policy (a task delivered twice).
    policy = (
        Policy.objects.select_for_update(no_key=True, of=("self",))
        .select_related("plan")
        .get(pk=policy_id)
    )
    granted = IncentiveGrant.objects.filter(policy=policy, month=month).first()
    if granted is not None:
        return granted
    if policy.status != Policy.Status.ACTIVE or policy.plan.is_social:
        return None
    version = selectors.plan_version_in_force(plan_id=policy.plan_id, on=month_last_day(month))
    if version is None or not version.has_incentive:
        return None
    if days_recorded < version.incentive_min_days:
        return None
    if in_range_share_bp < version.incentive_in_range_bp:
        return None
    year = year_of(policy, month.year, lock=True)
    try:
        with transaction.atomic():
            grant = IncentiveGrant.objects.create(
                policy=policy,
                month=month,
                days_recorded=days_recorded,
                in_range_share_bp=in_range_share_bp,
                bonus_fen=version.incentive_bonus_fen,
            )
    except IntegrityError:
        # Granted meanwhile outside the policy lock (only by hand): that grant stands.
        return IncentiveGrant.objects.get(policy=policy, month=month)
    PolicyYear.objects.filter(pk=year.pk).update(
        bonus_cover_fen=F("bonus_cover_fen") + grant.bonus_fen
    )
    return grant
