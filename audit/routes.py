"""Which routes carry health data: each request to one of them is one access-log row.

A route of the care, pharmacy and insurance namespaces that names an object (a consultation, a
prescription, a claim...) carries health data unless it is listed here with the reason it does
not. The access log middleware records the row when the view itself has not.
"""

from __future__ import annotations

HEALTH_DATA_NAMESPACES = frozenset(
    {"hospital", "hospital_api", "insurance", "insurance_api", "pharmacy", "pharmacy_api"}
)

NOT_HEALTH_DATA: dict[str, str] = {
    # Public pages: the same for everyone, signed in or not.
    "hospital_api:doctor-detail": "a doctor's public page",
    "hospital_api:doctor-slots": "a doctor's public timetable",
    "hospital:doctor-detail": "a doctor's public page",
    "hospital:expert-request-new": "the form under a doctor's public page",
    "pharmacy_api:product-detail": "a catalog product",
    "pharmacy:product-detail": "a catalog product",
    "pharmacy_api:medicine-box": "a medicine box's public stock",
    "pharmacy_api:medicine-box-order-create": "an order from a box's public stock",
    "pharmacy:medicine-box": "a medicine box's public stock",
    # A doctor's own professional documents, not a patient's.
    "hospital_api:my-credential-detail": "a doctor's licence",
    "hospital_api:my-credential-scan": "a doctor's licence",
    "hospital:doctor-credential-scan": "a doctor's licence",
    "hospital:doctor-credential-upload": "a doctor's licence",
    "hospital:prescription-public-verify": "the public check of a signature, by its own token",
    # Money: amounts and payment state, no clinical content.
    "hospital_api:appointment-pay": "pays an appointment",
    "hospital:appointment-pay": "pays an appointment",
    "hospital_api:expert-request-pay": "pays an expert request",
    "hospital:expert-request-pay": "pays an expert request",
    "hospital_api:house-call-pay": "pays a house call",
    "hospital:house-call-pay": "pays a house call",
    "pharmacy_api:order-pay": "pays an order",
    "pharmacy:order-pay": "pays an order",
    "insurance_api:policy-eligibility": "a policy's coverage, no expense or diagnosis",
    # The shop before and after the medicine: a cart line not yet bought, the courier's
    # events, a complaint about the service. What an order contains is read through its
    # detail, which is audited.
    "pharmacy_api:cart-line-detail": "a cart line before it is bought",
    "pharmacy_api:order-tracking": "the courier's delivery events",
    "pharmacy_api:order-complaint": "a complaint about the service",
    "pharmacy:order-complaint": "a complaint about the service",
    "hospital_api:consultation-rating": "the patient's rating of the service",
    # Devices are pairings; their readings are read through the record, which is audited.
    "hospital_api:device": "a paired device",
    "hospital:record-device-pairing-code": "a device pairing code",
    "hospital:record-device-revoke": "unpairs a device",
}


def is_health_data_route(route_name: str) -> bool:
    namespace = route_name.rpartition(":")[0]
    return namespace in HEALTH_DATA_NAMESPACES and route_name not in NOT_HEALTH_DATA
