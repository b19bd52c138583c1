"""The figures of house calls, in one place. Each can be overridden in settings
(HOSPITAL_HOUSE_CALL_<NAME>), like the rest of hospital's figures."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # An unpaid request is held this long, then cancelled.
    "PAYMENT_HOLD": timedelta(minutes=30),
    # The ETA a dispatcher may promise, in minutes.
    "ETA_MINUTES_MIN": 10,
    "ETA_MINUTES_MAX": 240,
    # Refund when the PATIENT cancels, as a share of what they paid, by where the visit stood.
    # Before dispatch the hospital has spent nothing: everything back. Once a doctor is
    # reserved for the visit, part of the fee pays for the time set aside; once the doctor is
    # on the way, half; at the door, nothing. A cancellation by the hospital (the doctor, an
    # operator) or a triage that ends the request always refunds in full.
    "PATIENT_CANCEL_REFUND_SHARE": {
        "pending_payment": Decimal("0"),  # nothing paid yet: the payment is closed instead
        "requested": Decimal("1"),
        "triaged": Decimal("1"),
        "dispatched": Decimal("0.8"),
        "accepted": Decimal("0.8"),
        "on_the_way": Decimal("0.5"),
        "arrived": Decimal("0"),
    },
    # The visiting doctor may open the patient's record this long after the visit is complete
    # (the same follow-up window as after a consultation).
    "RECORD_ACCESS_AFTER_VISIT": timedelta(days=30),
}


def figure(name: str) -> Any:
    return getattr(settings, f"HOSPITAL_HOUSE_CALL_{name}", DEFAULTS[name])
