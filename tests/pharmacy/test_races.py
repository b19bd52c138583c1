"""Concurrency on PostgreSQL with real threads: last units, overlapping carts, double submits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from pharmacy import services
from pharmacy.models import Batch, Order, Product
from tests.accounts.factories import PatientProfileFactory
from tests.concurrency import run_concurrently
from tests.pharmacy.conftest import ADDRESS
from tests.pharmacy.factories import ProductFactory, RxProductFactory, approved_item, stock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_together(jobs: list[Callable[[], int]]) -> Counter:
    """Runs the jobs at once; an exception a job raises is counted as itself, so it can only
    fail the test's comparison."""
    return Counter(run_concurrently(lambda job: job(), [(job,) for job in jobs]))


def _buyer(product: Product, quantity: int = 1) -> APIClient:
    patient = PatientProfileFactory()
    services.cart_line_add(
        account=patient.account, patient_id=patient.pk, product_id=product.pk, quantity=quantity
    )
    client = APIClient()
    client.force_authenticate(patient.account)
    return client


def _checkout_job(client: APIClient) -> Callable[[], int]:
    return lambda: client.post("/api/v1/checkout/", ADDRESS, format="json").status_code


def test_thirty_buyers_for_the_last_five_units_exactly_five_orders():
    product = ProductFactory()
    stock(product, 3, lot="A")
    stock(product, 2, lot="B")
    clients = [_buyer(product) for _ in range(30)]

    outcome = _run_together([_checkout_job(client) for client in clients])

    assert outcome == Counter({201: 5, 409: 25})
    product.refresh_from_db()
    assert (product.stock_on_hand, product.stock_reserved) == (5, 5)
    assert Order.objects.count() == 5


def test_overlapping_carts_in_opposite_orders_never_deadlock_nor_oversell():
    first, second = ProductFactory(), ProductFactory()
    stock(first, 7)
    stock(second, 7)
    clients = []
    for index in range(16):
        patient = PatientProfileFactory()
        # Half the buyers put the products in the cart one way round, half the other.
        pair = (first, second) if index % 2 else (second, first)
        for product in pair:
            services.cart_line_add(
                account=patient.account, patient_id=patient.pk, product_id=product.pk, quantity=1
            )
        client = APIClient()
        client.force_authenticate(patient.account)
        clients.append(client)

    outcome = _run_together([_checkout_job(client) for client in clients])

    assert set(outcome) <= {201, 409}
    assert outcome[201] == 7
    for product in (first, second):
        product.refresh_from_db()
        assert product.stock_reserved == 7
        assert product.stock_reserved <= product.stock_on_hand


def test_double_submitted_checkout_makes_one_order_and_uses_the_prescription_once():
    patient = PatientProfileFactory()
    product = RxProductFactory()
    stock(product, 10)
    item = approved_item(patient, product.drug, packs=2)
    services.cart_line_add(
        account=patient.account,
        patient_id=patient.pk,
        product_id=product.pk,
        quantity=2,
        prescription_item_id=item.pk,
        rx_notice_confirmed=True,
    )
    client = APIClient()
    client.force_authenticate(patient.account)

    outcome = _run_together([_checkout_job(client) for _ in range(6)])

    assert outcome == Counter({201: 1, 400: 5})
    item.refresh_from_db()
    product.refresh_from_db()
    assert item.purchased_packs == 2
    assert product.stock_reserved == 2


def test_concurrent_cancel_and_expiry_give_back_once():
    product = ProductFactory()
    stock(product, 4)
    patient = PatientProfileFactory()
    services.cart_line_add(
        account=patient.account, patient_id=patient.pk, product_id=product.pk, quantity=3
    )
    order = services.order_checkout(account=patient.account, **ADDRESS)
    services.order_pay(account=patient.account, order_id=order.pk)
    Order.objects.filter(pk=order.pk).update(expires_at=order.created_at)

    def cancel() -> int:
        services.order_cancel(order_id=order.pk, actor=patient.account, account=patient.account)
        return 1

    def expire() -> int:
        services.order_expire(order_id=order.pk)
        return 1

    outcome = _run_together([cancel, expire, cancel, expire])

    assert outcome == Counter({1: 4})
    product.refresh_from_db()
    assert product.stock_reserved == 0
    assert sum(Batch.objects.filter(product=product).values_list("quantity", flat=True)) == 4
