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
    # Doctors are warned this many days before a credential expires, once at each.
    "CREDENTIAL_EXPIRY_WARNING_DAYS": (30, 7),
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
        # Serum potassium (mmol/L) and eGFR (mL/min/1.73 m², KDIGO: below 60 is reduced, below
        # 15 kidney failure). Creatinine has no flag: its normal range depends on sex and muscle.
        "potassium": {"critical_low": "2.5", "low": "3.5", "high": "5.5", "critical_high": "6.5"},
        "egfr": {"critical_low": "15", "low": "60"},
    },
    # Prescriptions (处方管理办法, 互联网诊疗管理办法): most items on one prescription...
    "PRESCRIPTION_MAX_ITEMS": 5,
    # ...days of supply normally; beyond it (article 19) only a long-term drug for a chronic or
    # geriatric condition, with the doctor's stated reason, and never beyond the long-term
    # limit (长期处方管理规范: up to 12 weeks for a stable chronic patient).
    "PRESCRIPTION_MAX_SUPPLY_DAYS": 7,
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
    # Medication schedule: default local dose times by frequency code. Frequencies not listed
    # (PRN, STAT) give no schedule; QW and QOD count their days from the delivery day.
    "MEDICATION_DOSE_TIMES": {
        "QD": ("08:00",),
        "QAM": ("08:00",),
        "QPM": ("18:00",),
        "BID": ("08:00", "20:00"),
        "Q12H": ("08:00", "20:00"),
        "TID": ("08:00", "13:00", "19:00"),
        "Q8H": ("06:00", "14:00", "22:00"),
        "QID": ("08:00", "12:00", "16:00", "20:00"),
        "Q6H": ("06:00", "12:00", "18:00", "00:00"),
        "QN": ("21:00",),
        "QHS": ("21:00",),
        "QOD": ("08:00",),
        "QW": ("08:00",),
    },
    # A dose not marked taken or skipped this long after it was due is missed.
    "MEDICATION_DOSE_MISSED_AFTER": timedelta(hours=2),
    # A dose may be marked taken at most this long before it is due.
    "MEDICATION_DOSE_EARLY_WINDOW": timedelta(hours=2),
    # A snooze lasts between these many minutes.
    "MEDICATION_SNOOZE_MINUTES": (5, 120),
    # An important dose's reminder repeats this often, at most this many times after the first.
    "MEDICATION_IMPORTANT_REPEAT_EVERY": timedelta(minutes=15),
    "MEDICATION_IMPORTANT_REPEATS": 4,
    # A participant who has not had the consultation chat open for this long is away: a new
    # message tells them (once per burst of messages).
    "CONSULTATION_AWAY_AFTER": timedelta(minutes=10),
    # Doctor-set device test reminders are booked this many days ahead by the daily scan.
    "DEVICE_TEST_REMINDERS_AHEAD_DAYS": 2,
    # Daily reminders (refill, follow-up) go out from this local hour on, not at midnight.
    "DAILY_REMINDERS_FROM_HOUR": 8,
    # A chronic supply with this many days left or fewer gets a refill reminder.
    "MEDICATION_REFILL_DAYS_LEFT": 3,
    # Adherence is measured over this many days; at or above the line is adherent (PDC ≥ 80 %).
    "MEDICATION_ADHERENCE_WINDOW_DAYS": 30,
    "MEDICATION_ADHERENCE_LINE": "0.80",
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
        "creatinine": ("10", "3000"),
        "egfr": ("1", "200"),
        "potassium": ("1", "10"),
    },
    # 会诊 (MDT): invited doctors may open the patient's record this long by default after the
    # invitation, at most this long in all, and a 会诊 invites at most this many doctors.
    "MDT_ACCESS_DEFAULT": timedelta(hours=72),
    "MDT_ACCESS_MAX": timedelta(days=14),
    "MDT_MAX_INVITED_DOCTORS": 5,
}


def figure(name: str) -> Any:
    return getattr(settings, f"HOSPITAL_{name}", DEFAULTS[name])
