"""The checkout endpoint's cost and answer: a fixed number of queries whatever the number of
cart lines, and the same order detail a later GET returns."""

from __future__ import annotations

import datetime as dt

import pytest

from pharmacy import services
from tests.accounts.factories import PatientProfileFactory
from tests.pharmacy.factories import ProductFactory, RxProductFactory, approved_item, stock

pytestmark = pytest.mark.django_db

CHECKOUT = "/api/v1/checkout/"
# Idempotency claim (in its savepoint here); the cart read and locked (with whether any lot
# expired since the scan); the order and its history row; its lines; its event; the cart lines
# deleted; the stock movements; every product's stock taken by one UPDATE; the idempotency
# answer; and the checkout's savepoint (BEGIN/COMMIT in production).
CHECKOUT_QUERIES = 14
# Prescription lines add, whatever their number: their items read in one query, their packs
# counted by one UPDATE, and the patient's insurance policies read for the quote.
PRESCRIPTION_QUERIES = 3


def _fill_cart(patient_user, patient, products: int, patients=(), rx: int = 0) -> None:
    for _ in range(products):
        product = ProductFactory()
        stock(product, 10)
        for buyer in (patient, *patients):
            services.cart_line_add(
                account=patient_user, patient_id=buyer.pk, product_id=product.pk, quantity=2
            )
    for _ in range(rx):
        product = RxProductFactory()
        stock(product, 5)
        services.cart_line_add(
            account=patient_user,
            patient_id=patient.pk,
            product_id=product.pk,
            quantity=1,
            prescription_item_id=approved_item(patient, product.drug).pk,
            rx_notice_confirmed=True,
        )


def _checkout(patient_client, address, key: str) -> dict:
    response = patient_client.post(CHECKOUT, address, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.parametrize(("products", "patients"), [(1, 1), (5, 1), (5, 3)])
def test_checkout_query_count_is_the_same_for_one_line_or_many(
    patient_client, patient_user, patient, address, products, patients, django_assert_num_queries
):
    others = [
        PatientProfileFactory(
            account=patient_user, relationship="child", birth_date=dt.date(2010, 1, 1 + n)
        )
        for n in range(patients - 1)
    ]
    _fill_cart(patient_user, patient, products, patients=others)
    with django_assert_num_queries(CHECKOUT_QUERIES):
        body = _checkout(patient_client, address, key=f"pin-{products}-{patients}")
    assert len(body["lines"]) == products * patients


@pytest.mark.parametrize(("products", "rx"), [(0, 1), (2, 3)])
def test_prescription_lines_add_the_same_queries_whatever_their_number(
    patient_client, patient_user, patient, address, products, rx, django_assert_num_queries
):
    _fill_cart(patient_user, patient, products, rx=rx)
    with django_assert_num_queries(CHECKOUT_QUERIES + PRESCRIPTION_QUERIES):
        body = _checkout(patient_client, address, key=f"pin-rx-{products}-{rx}")
    assert len(body["lines"]) == products + rx


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
    body = _checkout(patient_client, address, key="same")
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
