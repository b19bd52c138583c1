"""The hospital's figures, in one place. Each can be overridden in settings (HOSPITAL_<NAME>)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # An unpaid booking holds its slot this long, then expires and frees it.
    "BOOKING_HOLD": timedelta(minutes=15),
    # A patient who cancels at least this long before the start gets the fee back.
    "FREE_CANCELLATION_BEFORE": timedelta(hours=2),
    # A confirmed appointment nobody started this long after its start is a no-show.
    "NO_SHOW_AFTER": timedelta(minutes=15),
    # Slots are opened this many days ahead by the daily task.
    "SLOT_DAYS_AHEAD": 14,
    # A doctor practises only with at least this many years of practice.
    "MIN_YEARS_OF_PRACTICE": 3,
    # Doctors are warned this many days before a credential expires.
    "CREDENTIAL_EXPIRY_WARNING_DAYS": 30,
    # Credential scans: largest size and the types accepted (sniffed from the content).
    "CREDENTIAL_SCAN_MAX_BYTES": 10 * 1024 * 1024,
    # Booking window: how far ahead a slot may be booked.
    "BOOKING_MAX_DAYS_AHEAD": 30,
    # Consultation attachments (images, PDFs): largest size (types are sniffed from content).
    "CONSULTATION_ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    # A quick consult nobody claimed this long after it was asked raises an operators' alert.
    "QUICK_CONSULT_UNCLAIMED_ALERT_AFTER": timedelta(minutes=10),
    # A booked consultation can be opened and joined from this long before its start...
    "CONSULTATION_JOIN_EARLY": timedelta(minutes=10),
    # ...until this long after the end of its slot.
    "CONSULTATION_JOIN_GRACE": timedelta(minutes=30),
    # The doctor may open a booked consultation this long before its start.
    "CONSULTATION_DOCTOR_OPEN_EARLY": timedelta(hours=2),
    # Most messages one poll returns; the client asks again with the new cursor.
    "CONSULTATION_MESSAGES_PER_POLL": 100,
    # A video join token is valid this long.
    "VIDEO_JOIN_TOKEN_TTL": timedelta(minutes=5),
}


def figure(name: str) -> Any:
    return getattr(settings, f"HOSPITAL_{name}", DEFAULTS[name])
