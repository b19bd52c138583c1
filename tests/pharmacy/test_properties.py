"""Property: whatever buyers, payments, pharmacists and the expiry scan do, in any order, stock
never goes negative, reservations match the live orders, and a prescription is never bought
beyond its quantity."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.exceptions import DomainError
from payments.services import payment_sandbox_complete
from pharmacy import services
from pharmacy.models import Batch, CartLine, Order, OrderLine, Product
from tests.accounts.factories import PatientProfileFactory, PharmacistUserFactory
from tests.pharmacy.conftest import ADDRESS
from tests.pharmacy.factories import (
    ProductFactory,
    RxProductFactory,
    approved_item,
    scanned_codes,
    stock,
)

pytestmark = pytest.mark.django_db

S = Order.Status
DEAD = (S.CANCELLED, S.REFUNDED)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("otc"), st.integers(0, 2), st.integers(1, 3)),
        st.tuples(st.just("rx"), st.integers(1, 3)),
        st.tuples(st.just("pay"), st.integers(0, 9)),
        st.tuples(st.just("fulfil"), st.integers(0, 9)),
        st.tuples(st.just("cancel"), st.integers(0, 9)),
        st.tuples(st.just("expire"), st.integers(0, 9)),
    ),
    min_size=1,
    max_size=14,
)


def _check(products: list[Product], item) -> None:
    for product in products:
        product.refresh_from_db()
        lots = Batch.objects.filter(product=product, is_expired=False)
        assert product.stock_on_hand == sum(lots.values_list("quantity", flat=True))
        assert product.stock_on_hand >= 0
        assert 0 <= product.stock_reserved <= product.stock_on_hand
        held = OrderLine.objects.filter(product=product, order__picked_at__isnull=True).exclude(
            order__status__in=DEAD
        )
        assert product.stock_reserved == sum(held.values_list("quantity", flat=True))
        assert all(b.quantity >= 0 for b in Batch.objects.filter(product=product))
    item.refresh_from_db()
    bought = OrderLine.objects.filter(prescription_item=item).exclude(order__status__in=DEAD)
    assert item.purchased_packs == sum(bought.values_list("quantity", flat=True))
    assert item.purchased_packs <= item.quantity_packs


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_random_orders_and_cancellations_keep_stock_and_prescriptions_whole(ops):
    device = ProductFactory(price=Decimal("12.00"))
    stock(device, 3, days=200)
    stock(device, 3, days=500)
    rx = RxProductFactory()
    stock(rx, 4)
    patient = PatientProfileFactory()
    item = approved_item(patient, rx.drug, packs=4)
    buyers = [PatientProfileFactory() for _ in range(3)]
    pharmacist = PharmacistUserFactory()
    orders: list[Order] = []

    for op in ops:
        try:
            if op[0] == "otc":
                buyer = buyers[op[1]]
                CartLine.objects.filter(account=buyer.account).delete()
                services.cart_line_add(
                    account=buyer.account, patient_id=buyer.pk, product_id=device.pk, quantity=op[2]
                )
                orders.append(services.order_checkout(account=buyer.account, **ADDRESS))
            elif op[0] == "rx":
                CartLine.objects.filter(account=patient.account).delete()
                services.cart_line_add(
                    account=patient.account,
                    patient_id=patient.pk,
                    product_id=rx.pk,
                    quantity=op[1],
                    prescription_item_id=item.pk,
                    rx_notice_confirmed=True,
                )
                orders.append(services.order_checkout(account=patient.account, **ADDRESS))
            elif orders:
                order = Order.objects.get(pk=orders[op[1] % len(orders)].pk)
                if op[0] == "pay":
                    started = services.order_pay(account=order.account, order_id=order.pk)
                    assert started.payment is not None
                    payment_sandbox_complete(payment=started.payment, succeed=True)
                elif op[0] == "fulfil":
                    if order.requires_dispensing:
                        services.order_dispense(
                            order_id=order.pk,
                            pharmacist=pharmacist,
                            traceability_codes=scanned_codes(order),
                        )
                    else:
                        services.order_fulfil(order_id=order.pk)
                elif op[0] == "cancel":
                    services.order_cancel(
                        order_id=order.pk, actor=order.account, account=order.account
                    )
                elif op[0] == "expire":
                    Order.objects.filter(pk=order.pk).update(expires_at=order.created_at)
                    services.order_expire(order_id=order.pk)
        except DomainError:
            pass  # a refusal (sold out, wrong state) changes nothing; the invariants say so
        _check([device, rx], item)
