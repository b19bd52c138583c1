"""Figures and predicates of notifications: when a person's quiet hours hold."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notifications.models import DEFAULT_TIME_ZONE


class QuietHours(Protocol):
    quiet_hours_enabled: bool
    quiet_hours_start: dt.time
    quiet_hours_end: dt.time
    time_zone: str


def quiet_hours_end_after(quiet: QuietHours, moment: dt.datetime) -> dt.datetime | None:
    """The end of the quiet hours `moment` falls in, or None when it falls outside them.

    Quiet hours are read on the person's own clock and may run past midnight (22:00–08:00):
    at 23:00 they end at 08:00 the next morning, at 07:00 at 08:00 the same morning.
    """
    if not quiet.quiet_hours_enabled or quiet.quiet_hours_start == quiet.quiet_hours_end:
        return None
    try:
        zone = ZoneInfo(quiet.time_zone or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_TIME_ZONE)
    local = moment.astimezone(zone)
    start, end, now = quiet.quiet_hours_start, quiet.quiet_hours_end, local.time()
    day = local.date()
    if start < end:  # within one day, e.g. 13:00–14:00
        if not start <= now < end:
            return None
    elif end <= now < start:  # past midnight, and now is in the waking part of the day
        return None
    elif now >= start:  # the evening part: ends tomorrow morning
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=zone)


def quiet_hours_default() -> QuietHours:
    """The quiet hours of a person who has not set any: 22:00–08:00 in Shanghai."""
    from notifications.models import NotificationSettings

    return NotificationSettings()


# WeChat grants long-term subscription messages only to services in categories such as
# medical care, government and transport; a shop's notices need a one-time consent each.
WECHAT_LONG_TERM_CATEGORIES = frozenset({"medical"})

# The category of a kind follows the app that sends it: the hospital's notices are medical
# services (reminders, results, prescriptions); the pharmacy's are a shop's order updates.
KIND_CATEGORY_BY_PREFIX = {"hospital.": "medical", "pharmacy.": "commerce"}


def kind_category(kind: str) -> str:
    for prefix, category in KIND_CATEGORY_BY_PREFIX.items():
        if kind.startswith(prefix):
            return category
    return "general"


def wechat_long_term_allowed(kind: str) -> bool:
    return kind_category(kind) in WECHAT_LONG_TERM_CATEGORIES
