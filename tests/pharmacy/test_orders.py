"""Checkout, payment, dispensing, delivery, cancellation, expiry and returns, end to end."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from core.exceptions import NotAllowed
from notifications.models import Notification
from payments.models import Payment
from payments.providers import get_provider
from payments.services import payment_callback_process, payment_sandbox_complete
from pharmacy import services
from pharmacy.models import Batch, CartLine, Order, OrderLinePick, Product, Shipment
from tests.accounts.factories import OperatorUserFactory, PatientProfileFactory
from tests.pharmacy.factories import (
    ProductFactory,
    RxProductFactory,
    approved_item,
    expired_batch,
    scanned_codes,
    stock,
)

pytestmark = pytest.mark.django_db

S = Order.Status


def _cart(account, patient, product, quantity=1, item=None):
    return services.cart_line_add(
        account=account,
        patient_id=patient.pk,
        product_id=product.pk,
        quantity=quantity,
        prescription_item_id=item.pk if item else None,
        rx_notice_confirmed=item is not None,
    )


def _checkout(client, address, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/checkout/", address, format="json", **headers)


def _pay(client, order_id):
    response = client.post(f"/api/v1/orders/{order_id}/pay/")
    assert response.status_code == 200, response.json()
    return Payment.objects.get(purpose="pharmacy_order", reference=str(order_id), status="waiting")


def test_checkout_reserves_stock_consumes_prescription_and_replays(
    patient_client, patient_user, patient, address
):
    device = ProductFactory(price=Decimal("30.00"))
    stock(device, 5)
    rx = RxProductFactory(price=Decimal("40.00"))
    stock(rx, 5)
    item = approved_item(patient, rx.drug, packs=3)
    _cart(patient_user, patient, device, 2)
    _cart(patient_user, patient, rx, 3, item)

    response = _checkout(patient_client, address, key="k1")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending_payment"
    assert body["items_total"] == "180.00"
    assert body["shipping_fee"] == "0.00"  # express is free from ¥99
    assert body["insurance_share"] == "0.00"
    assert body["patient_due"] == "180.00"
    assert body["requires_dispensing"] is True
    device.refresh_from_db()
    rx.refresh_from_db()
    item.refresh_from_db()
    assert (device.stock_reserved, rx.stock_reserved) == (2, 3)
    assert item.purchased_packs == 3
    assert not CartLine.objects.exists()

    replay = _checkout(patient_client, address, key="k1")
    assert replay.json()["id"] == body["id"]
    assert replay["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert _checkout(patient_client, {**address, "city": "杭州"}, key="k1").status_code == 422


def test_shipping_fees_and_instant_delivery_only_in_the_pharmacys_city(
    patient_client, patient_user, patient, address
):
    product = ProductFactory(price=Decimal("20.00"))
    stock(product, 5)
    _cart(patient_user, patient, product, 1)
    response = _checkout(patient_client, {**address, "delivery_method": "instant"})
    assert response.status_code == 400
    assert "delivery_method" in response.json()["errors"]
    assert CartLine.objects.exists()
    response = _checkout(patient_client, {**address, "delivery_method": "instant", "city": "北京"})
    assert response.json()["shipping_fee"] == "15.00"
    assert response.json()["patient_due"] == "35.00"
    _cart(patient_user, patient, product, 1)
    assert _checkout(patient_client, address).json()["shipping_fee"] == "10.00"


def test_stock_taken_meanwhile_is_a_409_and_changes_nothing(
    patient_client, patient_user, patient, address
):
    product = ProductFactory()
    stock(product, 2)
    _cart(patient_user, patient, product, 2)
    other = PatientProfileFactory()
    _cart(other.account, other, product, 1)
    services.order_checkout(account=other.account, **address)

    response = _checkout(patient_client, address)
    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock"
    product.refresh_from_db()
    assert product.stock_reserved == 1
    assert Order.objects.count() == 1
    assert CartLine.objects.filter(account=patient_user).exists()


def test_an_expired_lot_is_never_sold(patient_client, patient_user, patient, address):
    product = ProductFactory()
    stock(product, 1)
    expired_batch(product, 5)
    assert product.stock_available == 6  # the scan has not run yet
    _cart(patient_user, patient, product, 3)
    response = _checkout(patient_client, address)
    assert response.status_code == 409
    product.refresh_from_db()
    assert (product.stock_on_hand, product.stock_reserved) == (1, 0)
    assert Batch.objects.get(lot_number__startswith="EXP").is_expired


def test_otc_order_paid_picked_earliest_expiry_first_shipped_and_delivered(
    patient_client, patient_user, patient, address, django_capture_on_commit_callbacks
):
    product = ProductFactory(price=Decimal("25.00"))
    late = stock(product, 10, days=400, lot="LATE")
    early = stock(product, 2, days=100, lot="EARLY")
    expired_batch(product, 50)
    services.batches_expire_due()
    _cart(patient_user, patient, product, 3)
    order_id = _checkout(patient_client, address).json()["id"]

    payment = _pay(patient_client, order_id)
    assert payment.amount == Decimal("85.00")
    with django_capture_on_commit_callbacks(execute=True):
        payment_sandbox_complete(payment=payment, succeed=True)
    order = Order.objects.get(pk=order_id)
    assert order.status == S.SHIPPED
    picks = {p.batch.lot_number: p.quantity for p in OrderLinePick.objects.select_related("batch")}
    assert picks == {"EARLY": 2, "LATE": 1}
    early.refresh_from_db()
    late.refresh_from_db()
    product.refresh_from_db()
    assert (early.quantity, late.quantity) == (0, 9)
    assert (product.stock_on_hand, product.stock_reserved) == (9, 0)

    tracking = patient_client.get(f"/api/v1/orders/{order_id}/tracking/").json()
    assert tracking["shipment"]["status"] == "created"
    assert tracking["shipment"]["tracking_number"].startswith("SIM")
    shipment = Shipment.objects.get()
    with time_machine.travel(timezone.now() + dt.timedelta(hours=3)):
        services.shipment_poll(shipment_id=shipment.pk)
        services.shipment_poll(shipment_id=shipment.pk)
    tracking = patient_client.get(f"/api/v1/orders/{order_id}/tracking/").json()
    assert [e["status"] for e in tracking["shipment"]["events"]] == ["picked_up", "in_transit"]
    with (
        time_machine.travel(timezone.now() + dt.timedelta(hours=21)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.shipment_poll(shipment_id=shipment.pk)
        services.shipment_poll(shipment_id=shipment.pk)
    assert Notification.objects.filter(kind="pharmacy.order_out_for_delivery").count() == 1
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=2)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.shipment_poll(shipment_id=shipment.pk)
    order.refresh_from_db()
    assert order.status == S.DELIVERED
    assert Shipment.objects.get().status == "delivered"
    assert Notification.objects.filter(kind="pharmacy.order_delivered").count() == 1
    assert patient_client.post(f"/api/v1/orders/{order_id}/cancel/").status_code == 409


def _rx_order(client, account, patient, address, packs=2):
    product = RxProductFactory(price=Decimal("50.00"))
    stock(product, 10)
    item = approved_item(patient, product.drug, packs=packs)
    _cart(account, patient, product, packs, item)
    order_id = client.post("/api/v1/checkout/", address, format="json").json()["id"]
    return Order.objects.get(pk=order_id), product, item


def test_rx_order_waits_for_the_pharmacist_who_verifies_and_picks(
    patient_client,
    patient_user,
    patient,
    address,
    pharmacist_client,
    django_capture_on_commit_callbacks,
):
    order, _product, item = _rx_order(patient_client, patient_user, patient, address)
    payment_sandbox_complete(payment=_pay(patient_client, order.pk), succeed=True)
    order.refresh_from_db()
    assert order.status == S.AWAITING_DISPENSING

    queue = pharmacist_client.get("/api/v1/dispensing-queue/").json()["results"]
    assert [o["id"] for o in queue] == [order.pk]
    assert queue[0]["lines"][0]["prescription"] == item.prescription_id
    assert patient_client.post(f"/api/v1/orders/{order.pk}/dispense/").status_code == 403

    codes = scanned_codes(order)
    with django_capture_on_commit_callbacks(execute=True):
        response = pharmacist_client.post(
            f"/api/v1/orders/{order.pk}/dispense/", {"traceability_codes": codes}, format="json"
        )
    assert response.status_code == 200, response.json()
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert order.verified_by is not None
    assert response.json()["lines"][0]["picks"][0]["quantity"] == 2
    assert response.json()["lines"][0]["traceability_codes"] == next(iter(codes.values()))
    again = pharmacist_client.post(f"/api/v1/orders/{order.pk}/dispense/", {}, format="json")
    assert again.status_code == 409


def test_pharmacist_refusal_refunds_and_gives_everything_back(
    patient_client, patient_user, patient, address, pharmacist_client
):
    order, product, item = _rx_order(patient_client, patient_user, patient, address)
    payment_sandbox_complete(payment=_pay(patient_client, order.pk), succeed=True)
    url = f"/api/v1/orders/{order.pk}/dispense/"
    response = pharmacist_client.post(url, {"approve": False}, format="json")
    assert response.status_code == 400
    response = pharmacist_client.post(url, {"approve": False, "note": "剂量不符"}, format="json")
    assert response.json()["status"] == "refunded"
    product.refresh_from_db()
    item.refresh_from_db()
    assert (product.stock_reserved, item.purchased_packs) == (0, 0)
    order.refresh_from_db()
    assert Payment.objects.get(pk=order.payment_id).status == "refunded"


def test_cancel_unpaid_and_paid_orders_gives_back_stock_prescription_and_money(
    patient_client, patient_user, patient, address
):
    order, product, item = _rx_order(patient_client, patient_user, patient, address)
    payment = _pay(patient_client, order.pk)
    response = patient_client.post(f"/api/v1/orders/{order.pk}/cancel/", {}, format="json")
    assert response.json()["status"] == "cancelled"
    payment.refresh_from_db()
    product.refresh_from_db()
    item.refresh_from_db()
    assert payment.status == "cancelled"
    assert (product.stock_reserved, item.purchased_packs) == (0, 0)
    # Twice is once.
    assert patient_client.post(f"/api/v1/orders/{order.pk}/cancel/").json()["status"] == "cancelled"
    product.refresh_from_db()
    assert product.stock_reserved == 0

    order, product, item = _rx_order(patient_client, patient_user, patient, address)
    payment = _pay(patient_client, order.pk)
    payment_sandbox_complete(payment=payment, succeed=True)
    response = patient_client.post(
        f"/api/v1/orders/{order.pk}/cancel/", {"reason": "不需要了"}, format="json"
    )
    assert response.json()["status"] == "refunded"
    payment.refresh_from_db()
    item.refresh_from_db()
    product.refresh_from_db()
    assert payment.status == "refunded"
    assert payment.refunded_amount == payment.captured_amount == Decimal("100.00")
    assert (product.stock_reserved, item.purchased_packs) == (0, 0)


def test_cancelling_a_picked_order_puts_the_packs_back_in_their_lots(
    patient_user, patient, address
):
    product = ProductFactory()
    batch = stock(product, 4)
    _cart(patient_user, patient, product, 3)
    order = services.order_checkout(account=patient_user, **address)
    payment_sandbox_complete(
        payment=services.order_pay(account=patient_user, order_id=order.pk).payment, succeed=True
    )
    services.order_fulfil(order_id=order.pk)
    batch.refresh_from_db()
    assert batch.quantity == 1
    services.order_cancel(order_id=order.pk, actor=OperatorUserFactory(), reason="仓库损坏")
    batch.refresh_from_db()
    product.refresh_from_db()
    assert batch.quantity == 4
    assert (product.stock_on_hand, product.stock_reserved) == (4, 0)


@pytest.mark.parametrize("who", ["nobody", "anonymous", "patient", "deactivated operator"])
def test_without_a_buyer_only_staff_may_cancel_an_order(patient_user, patient, address, who):
    product = ProductFactory()
    stock(product, 2)
    _cart(patient_user, patient, product, 1)
    order = services.order_checkout(account=patient_user, **address)
    actor = {
        "nobody": lambda: None,
        "anonymous": AnonymousUser,
        "patient": lambda: PatientProfileFactory().account,
        "deactivated operator": lambda: OperatorUserFactory(is_active=False),
    }[who]()

    with pytest.raises(NotAllowed):
        services.order_cancel(order_id=order.pk, actor=actor, reason="不要了")

    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT


def test_unpaid_orders_expire_and_a_late_payment_is_refunded(
    patient_client, patient_user, patient, address
):
    order, product, item = _rx_order(patient_client, patient_user, patient, address)
    payment = _pay(patient_client, order.pk)
    assert services.orders_expire_unpaid() == 0
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert patient_client.post(f"/api/v1/orders/{order.pk}/pay/").status_code == 409
        assert services.orders_expire_unpaid() == 1
        assert services.orders_expire_unpaid() == 0
    order.refresh_from_db()
    product.refresh_from_db()
    item.refresh_from_db()
    assert order.status == S.CANCELLED
    assert (product.stock_reserved, item.purchased_packs) == (0, 0)

    payment_sandbox_complete(payment=payment, succeed=True)
    payment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert payment.status == "refunded"


def test_duplicate_and_out_of_order_callbacks_change_nothing_twice(
    patient_client, patient_user, patient, address
):
    order, _product, _item = _rx_order(patient_client, patient_user, patient, address)
    payment = _pay(patient_client, order.pk)
    provider = get_provider("sandbox")
    paid = provider.callback_body(payment=payment, status="paid", event_id="evt-1")
    pending = provider.callback_body(payment=payment, status="pending", event_id="evt-0")
    headers = {provider.signature_header: provider.sign(paid)}
    payment_callback_process(provider_name="sandbox", body=paid, headers=headers)
    payment_callback_process(provider_name="sandbox", body=paid, headers=headers)
    payment_callback_process(
        provider_name="sandbox",
        body=pending,
        headers={provider.signature_header: provider.sign(pending)},
    )
    order.refresh_from_db()
    assert order.status == S.AWAITING_DISPENSING
    assert order.events.filter(to_status=S.PAID).count() == 1
    payment.refresh_from_db()
    assert payment.status == "paid"


def test_non_drug_items_may_be_returned_medicines_not(
    patient_client, patient_user, patient, address
):
    device = ProductFactory(price=Decimal("40.00"))
    stock(device, 5)
    rx = RxProductFactory(price=Decimal("60.00"))
    stock(rx, 5)
    item = approved_item(patient, rx.drug, packs=1)
    _cart(patient_user, patient, device, 2)
    _cart(patient_user, patient, rx, 1, item)
    order = services.order_checkout(account=patient_user, **address)
    payment = services.order_pay(account=patient_user, order_id=order.pk).payment
    payment_sandbox_complete(payment=payment, succeed=True)
    order.refresh_from_db()
    Order.objects.filter(pk=order.pk).update(status=S.DELIVERED, delivered_at=timezone.now())
    lines = {line.product_id: line for line in order.lines.all()}
    url = f"/api/v1/orders/{order.pk}/returns/"

    response = patient_client.post(
        url, {"line": lines[rx.pk].pk, "quantity": 1, "reason": "不想要"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_returnable"
    response = patient_client.post(
        url, {"line": lines[device.pk].pk, "quantity": 1, "reason": "坏了"}, format="json"
    )
    assert response.status_code == 200, response.json()
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("40.00")
    complaint = patient_client.post(
        f"/api/v1/orders/{order.pk}/complaints/", {"text": "药片破碎"}, format="json"
    )
    assert complaint.status_code == 202


def test_another_accounts_order_is_404_everywhere(patient_user, patient, address):
    product = ProductFactory()
    stock(product, 5)
    _cart(patient_user, patient, product, 1)
    order = services.order_checkout(account=patient_user, **address)
    stranger = APIClient()
    stranger.force_authenticate(PatientProfileFactory().account)
    for method, path in (
        ("get", ""),
        ("get", "tracking/"),
        ("post", "pay/"),
        ("post", "cancel/"),
    ):
        response = getattr(stranger, method)(f"/api/v1/orders/{order.pk}/{path}")
        assert response.status_code == 404, path
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT


@pytest.mark.parametrize("size", [1, 6])
def test_order_detail_and_list_query_counts_are_constant(
    patient_client, patient_user, patient, address, django_assert_num_queries, size
):
    for _ in range(size):
        product = ProductFactory()
        stock(product, 5)
        _cart(patient_user, patient, product, 1)
        rx = RxProductFactory()
        stock(rx, 5)
        _cart(patient_user, patient, rx, 1, approved_item(patient, rx.drug, packs=1))
    order = services.order_checkout(account=patient_user, **address)
    # order with shipment and payment, lines with patient and prescription, picks, packs, events;
    # then its access-log row (savepoint, the reader's roles, the chain's head, the row, and
    # on PostgreSQL the chain lock)
    access_log_row = 5 + (connection.vendor == "postgresql")
    with django_assert_num_queries(5 + access_log_row):
        body = patient_client.get(f"/api/v1/orders/{order.pk}/").json()
    assert len(body["lines"]) == 2 * size
    with django_assert_num_queries(2):
        patient_client.get("/api/v1/orders/")


def test_stock_counters_match_the_lots(patient_user, patient, address):
    product = ProductFactory()
    stock(product, 3)
    stock(product, 4)
    _cart(patient_user, patient, product, 5)
    services.order_checkout(account=patient_user, **address)
    product = Product.objects.get(pk=product.pk)
    lots = sum(
        Batch.objects.filter(product=product, is_expired=False).values_list("quantity", flat=True)
    )
    assert product.stock_on_hand == lots == 7
    assert product.stock_available == 2
