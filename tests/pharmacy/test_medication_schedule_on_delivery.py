"""A delivered prescription order starts the patient's medication schedule, once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from hospital.prescriptions.schedule.models import MedicationSchedule
from payments.models import Payment
from payments.services import payment_sandbox_complete
from pharmacy import services
from pharmacy.models import Order, Shipment
from tests.pharmacy.factories import RxProductFactory, approved_item, scanned_codes, stock

pytestmark = pytest.mark.django_db


def test_delivery_starts_the_schedule_of_each_prescription_line_once(
    patient_client,
    patient_user,
    patient,
    address,
    pharmacist_client,
    django_capture_on_commit_callbacks,
):
    product = RxProductFactory(price=Decimal("50.00"))
    stock(product, 10)
    item = approved_item(patient, product.drug, packs=2)
    item.frequency, item.duration_days = "BID", 14
    item.save(update_fields=["frequency", "duration_days"])
    services.cart_line_add(
        account=patient_user,
        patient_id=patient.pk,
        product_id=product.pk,
        quantity=2,
        prescription_item_id=item.pk,
        rx_notice_confirmed=True,
    )
    order_id = patient_client.post("/api/v1/checkout/", address, format="json").json()["id"]
    assert patient_client.post(f"/api/v1/orders/{order_id}/pay/").status_code == 200
    payment = Payment.objects.get(reference=str(order_id), status="waiting")
    payment_sandbox_complete(payment=payment, succeed=True)
    order = Order.objects.get(pk=order_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = pharmacist_client.post(
            f"/api/v1/orders/{order_id}/dispense/",
            {"traceability_codes": scanned_codes(order)},
            format="json",
        )
    assert response.status_code == 200, response.json()
    shipment = Shipment.objects.get(order_id=order_id)
    assert not MedicationSchedule.objects.exists()  # on its way, not yet in hand

    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        services.shipment_poll(shipment_id=shipment.pk)
        services.shipment_poll(shipment_id=shipment.pk)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    schedule = MedicationSchedule.objects.get()
    assert schedule.prescription_item == item
    assert schedule.patient == patient
    assert schedule.started_at == order.delivered_at
    assert schedule.ends_at == order.delivered_at + dt.timedelta(days=14)
    assert schedule.times_of_day == ["08:00", "20:00"]
    assert schedule.doses.count() in (27, 28, 29)  # 14 days × 2, depending on the hour
