"""The tamper-evident signature of a prescription.

HMAC-SHA256 over a canonical JSON of everything the prescription says (patient, doctor,
consultation, diagnoses, items, dates, version, long-term reason, guardian). The key is derived
per doctor from `settings.PRESCRIPTION_SIGNING_KEY` (SECRET_KEY when unset), so one doctor's
signature cannot be passed off as another's and rotating the base key is one setting.

Verification re-reads the items from the database (never a prefetched copy): a row changed
behind the application's back, even by a raw UPDATE, no longer matches.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing

from hospital.prescriptions.models import Prescription, PrescriptionItem

SIGNATURE_SCHEME = "xinglin-rx-v1"


def _base_key() -> bytes:
    key = getattr(settings, "PRESCRIPTION_SIGNING_KEY", "") or settings.SECRET_KEY
    return str(key).encode()


def doctor_signing_key(doctor_id: int) -> bytes:
    return hmac.new(
        _base_key(), f"{SIGNATURE_SCHEME}:doctor:{doctor_id}".encode(), hashlib.sha256
    ).digest()


def _decimal(value: Decimal) -> str:
    normalized = value.normalize()
    return format(normalized, "f")


def _date(value: Any) -> str | None:
    return value.isoformat() if value else None


def canonical_content(prescription: Prescription) -> bytes:
    items = PrescriptionItem.objects.filter(prescription_id=prescription.pk).select_related("drug")
    content = {
        "scheme": SIGNATURE_SCHEME,
        "prescription": prescription.pk,
        "patient": prescription.patient_id,
        "doctor": prescription.doctor_id,
        "consultation": prescription.consultation_id,
        "diagnosis_codes": sorted(prescription.diagnosis_codes or []),
        "items": [
            {
                "drug": item.drug.code,
                "dose": _decimal(item.dose),
                "dose_unit": item.dose_unit,
                "route": item.route,
                "frequency": item.frequency,
                "duration_days": item.duration_days,
                "quantity_packs": item.quantity_packs,
                "instructions": item.instructions,
            }
            for item in items.order_by("position", "id")
        ],
        "issued_on": _date(prescription.issued_on),
        "valid_until": _date(prescription.valid_until),
        "version": prescription.version,
        "long_term_reason": prescription.long_term_reason,
        "guardian_name": prescription.guardian_name,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def prescription_signature(prescription: Prescription) -> str:
    return hmac.new(
        doctor_signing_key(prescription.doctor_id), canonical_content(prescription), hashlib.sha256
    ).hexdigest()


@dataclass(frozen=True)
class SignatureCheck:
    prescription_id: int
    signed: bool
    valid: bool


def prescription_signature_check(prescription: Prescription) -> SignatureCheck:
    """Whether the stored signature still matches the content (False when never signed)."""
    if not prescription.signature:
        return SignatureCheck(prescription.pk, signed=False, valid=False)
    valid = hmac.compare_digest(prescription.signature, prescription_signature(prescription))
    return SignatureCheck(prescription.pk, signed=True, valid=valid)


# The public check behind a prescription's QR code: a signed token naming the prescription, so
# that whoever holds the paper can check it while nobody can walk through prescriptions by id.
VERIFY_TOKEN_SALT = "hospital.prescription-verify"  # noqa: S105 - a signing salt, not a secret


def prescription_verify_token(prescription: Prescription) -> str:
    return signing.dumps(prescription.pk, salt=VERIFY_TOKEN_SALT, compress=False)


def prescription_id_from_verify_token(token: str) -> int | None:
    """The prescription a token names, or None for a token this site did not issue."""
    try:
        value = signing.loads(token, salt=VERIFY_TOKEN_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
