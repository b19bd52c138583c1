"""Mass assignment: a write endpoint reads only the fields its caller may set.

Every input is a plain serializer whose validated fields are handed to a service by name, so a
field that is not declared never reaches a model. The first test holds the line for every write
operation in the OpenAPI schema: a field whose name says it is the site's to set (a status, a
price, an amount paid, a reviewer, a staff flag...) may appear in a request body only where the
table below says why the caller sets it. The others send such fields to the endpoints where a
patient or doctor would most like to set them, and check that what is stored is the site's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.models import PatientProfile
from hospital.booking.models import Appointment
from hospital.prescriptions.models import Prescription
from hospital.records.models import Reading, RecordSource
from pharmacy.models import CartLine, Order
from tests.accounts.factories import PatientProfileFactory, PharmacistUserFactory, UserFactory
from tests.hospital.consultation_factories import api_client_for
from tests.hospital.factories import DoctorFactory, SlotFactory
from tests.hospital.prescription_factories import draft, item, item_payload, load_formulary
from tests.pharmacy.factories import ProductFactory, stock

pytestmark = pytest.mark.django_db

# Names that say a field is the site's to set, not the caller's.
SITE_SET = frozenset(
    {
        "account",
        "amount",
        "amount_paid",
        "approved_amount",
        "created_by",
        "doctor",
        "fee",
        "insurance_share",
        "is_staff",
        "is_superuser",
        "is_verified",
        "paid_at",
        "patient",
        "payer",
        "price",
        "quantity",
        "reviewed_by",
        "reviewer",
        "role",
        "roles",
        "sender",
        "signed_at",
        "status",
        "total",
        "unit_price",
        "user",
        "verified",
    }
)

# (method, path) → the site-set names it reads, and why the caller is the one to set them.
CALLER_SETS: dict[tuple[str, str], frozenset[str]] = {
    # Which of the account's own profiles the booking is for (another's is a 404), and
    # optionally the doctor whose slot it must be.
    ("post", "/api/v1/appointments/"): frozenset({"patient", "doctor"}),
    ("post", "/api/v1/expert-requests/"): frozenset({"patient"}),
    ("post", "/api/v1/house-calls/"): frozenset({"patient"}),
    ("post", "/api/v1/quick-consults/"): frozenset({"patient"}),
    ("post", "/api/v1/policies/"): frozenset({"patient"}),
    # How many the patient wants; the price is always the catalogue's.
    ("post", "/api/v1/cart/lines/"): frozenset({"patient", "quantity"}),
    ("patch", "/api/v1/cart/lines/{id}/"): frozenset({"quantity"}),
    ("post", "/api/v1/medicine-boxes/{code}/orders/"): frozenset({"patient", "quantity"}),
    ("post", "/api/v1/orders/{id}/returns/"): frozenset({"quantity"}),
    # An operator names the doctor a house call is offered to.
    ("post", "/api/v1/house-calls/{id}/dispatch/"): frozenset({"doctor"}),
    # The patient says taken or skipped; an allergy or medicine is active or resolved.
    ("post", "/api/v1/medication-doses/{id}/taken/"): frozenset({"status"}),
    ("patch", "/api/v1/patients/{id}/allergies/{item_id}/"): frozenset({"status"}),
    ("patch", "/api/v1/patients/{id}/medications/{item_id}/"): frozenset({"status"}),
}

EXTRAS: dict[str, Any] = {
    "status": "approved",
    "price": "0.01",
    "unit_price": "0.01",
    "total": "0.01",
    "amount_paid": "999.00",
    "insurance_share": "999.00",
    "fee": "0.01",
    "is_staff": True,
    "is_superuser": True,
    "reviewer": 1,
    "signed_at": "2026-01-01T00:00:00+08:00",
}


def _request_fields(schema: dict[str, Any], body_schema: dict[str, Any]) -> set[str]:
    if "$ref" in body_schema:
        component = schema["components"]["schemas"][body_schema["$ref"].rsplit("/", 1)[-1]]
        return _request_fields(schema, component)
    fields = set(body_schema.get("properties", {}))
    for part in body_schema.get("allOf", []) + body_schema.get("oneOf", []):
        fields |= _request_fields(schema, part)
    return fields


def test_write_endpoints_read_only_what_the_caller_may_set():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    seen: dict[tuple[str, str], frozenset[str]] = {}
    writes = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in ("post", "put", "patch"):
                continue
            writes += 1
            fields: set[str] = set()
            for content in operation.get("requestBody", {}).get("content", {}).values():
                fields |= _request_fields(schema, content.get("schema", {}))
            site_set = frozenset(fields & SITE_SET)
            if site_set:
                seen[(method, path)] = site_set
    assert writes > 90  # the schema was read: every write operation is looked at
    assert seen == CALLER_SETS


@pytest.fixture
def patient(patient_user):
    return PatientProfileFactory(account=patient_user)


def test_a_patient_cannot_make_themself_staff_or_move_a_profile(
    patient, patient_user, patient_client
):
    other_account = UserFactory()
    response = patient_client.patch(
        f"/api/v1/me/patients/{patient.pk}/",
        {"real_name": "王五", "account": other_account.pk, **EXTRAS},
        format="json",
    )
    assert response.status_code == 200, response.json()
    patient.refresh_from_db()
    patient.account.refresh_from_db()
    assert patient.real_name == "王五"
    assert patient.account_id == patient_user.pk
    assert not patient.account.is_staff
    assert not patient.account.is_superuser
    assert not PatientProfile.objects.filter(account=other_account).exists()


def test_a_booking_pays_the_doctors_fee_and_waits_for_payment(patient, patient_client):
    slot = SlotFactory(doctor=DoctorFactory(), mode="video")
    response = patient_client.post(
        "/api/v1/appointments/",
        {
            "patient": patient.pk,
            "slot": slot.pk,
            "mode": "video",
            "visit_type": "follow_up",
            "chief_complaint": "复诊",
            **EXTRAS,
            "status": "confirmed",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    appointment = Appointment.objects.get()
    assert appointment.status == Appointment.Status.PENDING_PAYMENT
    assert appointment.fee == slot.doctor.services.get(mode="video").fee > Decimal("0.01")


def test_the_cart_and_checkout_charge_the_catalogue_price(patient, patient_user, patient_client):
    product = ProductFactory(price=Decimal("25.00"))
    stock(product, 10)
    added = patient_client.post(
        "/api/v1/cart/lines/",
        {"patient": patient.pk, "product": product.pk, "quantity": 2, **EXTRAS},
        format="json",
    )
    assert added.status_code == 201, added.json()
    assert CartLine.objects.get().quantity == 2
    checkout = patient_client.post(
        "/api/v1/checkout/",
        {
            "delivery_method": "express",
            "recipient_name": "张三",
            "recipient_phone": "13800138000",
            "city": "上海",
            "address": "浦东新区世纪大道 100 号",
            **EXTRAS,
            "status": "delivered",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="mass-assignment-1",
    )
    assert checkout.status_code == 201, checkout.json()
    order = Order.objects.get()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.lines.get().unit_price == Decimal("25.00")
    assert order.items_total == Decimal("50.00")
    assert order.insurance_share == Decimal("0.00")


def test_a_reading_goes_to_the_record_in_the_path_as_entered_by_hand(patient, patient_client):
    other = PatientProfileFactory()
    response = patient_client.post(
        f"/api/v1/patients/{patient.pk}/readings/",
        {
            "kind": "glucose_fasting",
            "value": "6.1",
            "patient": other.pk,
            "source": "device",
            "recorded_by": 1,
            **EXTRAS,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    reading = Reading.objects.get()
    assert reading.patient_id == patient.pk
    assert reading.source == RecordSource.SELF_REPORTED
    assert reading.status == Reading.Status.FINAL
    assert reading.recorded_by_id == patient.account_id
    assert not Reading.objects.filter(patient=other).exists()


def test_a_doctor_cannot_approve_or_move_a_draft_by_patching_it():
    load_formulary()
    rx = draft(None, item())
    pharmacist = PharmacistUserFactory()
    other = PatientProfileFactory()
    response = api_client_for(rx.doctor.user).patch(
        f"/api/v1/prescriptions/{rx.pk}/",
        {
            "items": [item_payload(drug_code="enalapril-10mg-tab", dose="10")],
            "patient": other.pk,
            "doctor": DoctorFactory().pk,
            **EXTRAS,
            "reviewer": pharmacist.pk,
            "valid_until": "2099-12-31",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    rx.refresh_from_db()
    assert rx.status == Prescription.Status.DRAFT
    assert rx.patient_id != other.pk
    assert rx.reviewed_by_id is None
    assert rx.signed_at is None
