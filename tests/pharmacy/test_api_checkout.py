"""The checkout endpoint's cost and answer: a fixed number of queries plus one stock UPDATE per
distinct product, and the same order detail a later GET returns."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pharmacy import services
from tests.accounts.factories import PatientProfileFactory
from tests.pharmacy.factories import ProductFactory, RxProductFactory, approved_item, stock

pytestmark = pytest.mark.django_db

CHECKOUT = "/api/v1/checkout/"
# Idempotency claim, expired-lot check, cart lock, order and its history row, movements, lines,
# event, cart delete, idempotency answer, and the transaction's savepoints or BEGIN/COMMIT.
CHECKOUT_QUERIES = 14
# Stock is taken by one conditional UPDATE per product, in pk order: rows are locked one at a
# time in the same order by every checkout, so overlapping carts never deadlock.
QUERIES_PER_PRODUCT = 1


def _fill_cart(patient_user, patient, products: int, patients=()) -> None:
    for _ in range(products):
        product = ProductFactory()
        stock(product, 10)
        for buyer in (patient, *patients):
            services.cart_line_add(
                account=patient_user, patient_id=buyer.pk, product_id=product.pk, quantity=2
            )


def _checkout_queries(patient_client, address, key: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = patient_client.post(CHECKOUT, address, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201, response.json()
    return len(queries), response.json()


@pytest.mark.parametrize(("products", "patients"), [(1, 1), (1, 3), (6, 1), (6, 3)])
def test_checkout_query_count_is_fixed_plus_one_per_product(
    patient_client, patient_user, patient, address, products, patients
):
    others = [
        PatientProfileFactory(
            account=patient_user, relationship="child", birth_date=dt.date(2010, 1, 1 + n)
        )
        for n in range(patients - 1)
    ]
    _fill_cart(patient_user, patient, products, patients=others)
    count, body = _checkout_queries(patient_client, address, key=f"pin-{products}-{patients}")
    assert len(body["lines"]) == products * patients
    assert count == CHECKOUT_QUERIES + QUERIES_PER_PRODUCT * products


def test_checkout_answers_with_the_order_as_read_back(
    patient_client, patient_user, patient, address
):
    _fill_cart(patient_user, patient, 2)
    rx = RxProductFactory()
    stock(rx, 5)
    item = approved_item(patient, rx.drug)
    services.cart_line_add(
        account=patient_user,
        patient_id=patient.pk,
        product_id=rx.pk,
        quantity=1,
        prescription_item_id=item.pk,
        rx_notice_confirmed=True,
    )
    _count, body = _checkout_queries(patient_client, address, key="same")
    assert patient_client.get(f"/api/v1/orders/{body['id']}/").json() == body
    assert [line["prescription"] for line in body["lines"]] == [None, None, item.prescription_id]


@pytest.mark.parametrize("line_id", [2**63, 10**20])
def test_a_line_id_beyond_any_id_is_a_400_not_a_500(
    patient_client, patient_user, patient, address, line_id
):
    _fill_cart(patient_user, patient, 1)
    response = patient_client.post(CHECKOUT, {**address, "lines": [line_id]}, format="json")
    assert response.status_code == 400
    assert "lines" in response.json()["errors"]
