"""The hospital's figures, in one place. Each can be overridden in settings (HOSPITAL_<NAME>)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # The provider level the social scheme settles consultations at (primary / secondary /
    # tertiary, or "" for the ratios set for any level).
    "INSURANCE_PROVIDER_LEVEL": "",
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
    # The treating doctor may open the health record this long after the consultation closed.
    "RECORD_FOLLOW_UP_ACCESS": timedelta(days=30),
    # Medical documents (PDF, JPEG, PNG; the type is sniffed from the content): largest size.
    "MEDICAL_DOCUMENT_MAX_BYTES": 10 * 1024 * 1024,
    # ICD-10 prefixes of long-term conditions: a condition with one is chronic unless told.
    "CHRONIC_ICD10_PREFIXES": (
        *("E10", "E11", "E12", "E13", "E14"),  # diabetes
        *("I10", "I11", "I12", "I13", "I15"),  # hypertension
        *("I20", "I25", "I48", "I50", "I69"),  # heart disease, atrial fibrillation, stroke
        *("J44", "J45", "N18", "E78", "E03", "E05", "M05", "M06", "M10", "G40", "B18", "K74"),
    ),
    # Out-of-range flags of readings (mmol/L, mmHg, bpm): beyond low/high is flagged, beyond
    # critical_low/critical_high is critical (WHO/Chinese diabetes and hypertension guidelines).
    "READING_THRESHOLDS": {
        "glucose_fasting": {
            "critical_low": "2.8",
            "low": "3.9",
            "high": "7.0",
            "critical_high": "16.7",
        },
        "glucose_random": {
            "critical_low": "2.8",
            "low": "3.9",
            "high": "11.1",
            "critical_high": "16.7",
        },
        "glucose_postprandial": {
            "critical_low": "2.8",
            "low": "3.9",
            "high": "11.1",
            "critical_high": "16.7",
        },
        "systolic": {"low": "90", "high": "140", "critical_high": "180"},
        "diastolic": {"low": "60", "high": "90", "critical_high": "120"},
        "heart_rate": {"critical_low": "40", "low": "50", "high": "100", "critical_high": "130"},
    },
    # Prescriptions (处方管理办法, 互联网诊疗管理办法): most items on one prescription...
    "PRESCRIPTION_MAX_ITEMS": 5,
    # ...days of supply normally; up to the chronic limit for a long-term drug; up to the
    # stable-chronic limit only with a recorded reason.
    "PRESCRIPTION_MAX_SUPPLY_DAYS": 7,
    "PRESCRIPTION_MAX_CHRONIC_SUPPLY_DAYS": 28,
    "PRESCRIPTION_MAX_LONG_TERM_SUPPLY_DAYS": 84,
    # Valid on the day of issue; the doctor may extend it to this many days after issue.
    "PRESCRIPTION_MAX_VALIDITY_DAYS": 3,
    # Children younger than this need a guardian recorded as present.
    "PRESCRIPTION_GUARDIAN_UNDER_AGE": 6,
    # Signing needs a second factor confirmed this recently.
    "PRESCRIPTION_SIGNING_MFA_MAX_AGE": timedelta(minutes=5),
    # A pharmacist who takes a prescription from the review queue holds it this long; then it
    # goes back to the queue for the next pharmacist.
    "PRESCRIPTION_REVIEW_LEASE": timedelta(minutes=10),
    # A prescription waiting for review this long raises an operators' alert (once).
    "PRESCRIPTION_REVIEW_OVERDUE_ALERT_AFTER": timedelta(minutes=30),
    # Values outside these bounds are typing errors, refused rather than flagged.
    "READING_PLAUSIBLE_RANGES": {
        "glucose_fasting": ("0.5", "60"),
        "glucose_random": ("0.5", "60"),
        "glucose_postprandial": ("0.5", "60"),
        "systolic": ("40", "300"),
        "diastolic": ("20", "200"),
        "heart_rate": ("20", "300"),
        "weight": ("0.5", "400"),
        "height": ("20", "260"),
    },
}


def figure(name: str) -> Any:
    return getattr(settings, f"HOSPITAL_{name}", DEFAULTS[name])
