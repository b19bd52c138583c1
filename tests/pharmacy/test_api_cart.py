from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from hospital.prescriptions.models import FormularyDrug
from pharmacy.models import CartLine
from tests.accounts.factories import PatientProfileFactory
from tests.hospital.review_factories import DrugFactory
from tests.pharmacy.factories import (
    OtcDrugProductFactory,
    ProductFactory,
    RxProductFactory,
    approved_item,
    stock,
)

pytestmark = pytest.mark.django_db

LINES = "/api/v1/cart/lines/"


def _add(client, **body):
    return client.post(LINES, body, format="json")


def test_add_otc_line_and_same_line_again_adds_up(patient_client, patient):
    product = ProductFactory()
    stock(product, 10)
    response = _add(patient_client, patient=patient.pk, product=product.pk, quantity=2)
    assert response.status_code == 201, response.json()
    response = _add(patient_client, patient=patient.pk, product=product.pk, quantity=3)
    body = response.json()
    assert [line["quantity"] for line in body["lines"]] == [5]
    assert body["items_total"] == "125.00"
    assert body["requires_prescription"] is False


def test_more_than_in_stock_is_a_409_and_changes_nothing(patient_client, patient):
    product = ProductFactory()
    stock(product, 2)
    response = _add(patient_client, patient=patient.pk, product=product.pk, quantity=3)
    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock"
    assert not CartLine.objects.exists()


def test_rx_product_needs_confirmation_and_an_approved_prescription_item(patient_client, patient):
    product = RxProductFactory()
    stock(product, 10)
    response = _add(patient_client, patient=patient.pk, product=product.pk, quantity=1)
    assert response.status_code == 400
    assert "rx_notice_confirmed" in response.json()["errors"]

    response = _add(
        patient_client, patient=patient.pk, product=product.pk, quantity=1, rx_notice_confirmed=True
    )
    assert response.status_code == 400
    assert response.json()["code"] == "prescription_required"

    item = approved_item(patient, product.drug, packs=2)
    body = {
        "patient": patient.pk,
        "product": product.pk,
        "quantity": 3,
        "prescription_item": item.pk,
        "rx_notice_confirmed": True,
    }
    response = _add(patient_client, **body)
    assert response.status_code == 409
    assert response.json()["code"] == "prescription_quantity_exceeded"

    response = _add(patient_client, **{**body, "quantity": 2})
    assert response.status_code == 201
    line = CartLine.objects.get()
    assert line.prescription_item_id == item.pk
    assert line.rx_notice_confirmed_at is not None


def test_prescription_of_another_patient_or_drug_is_refused(patient_client, patient, patient_user):
    product = RxProductFactory()
    stock(product, 10)
    sibling = PatientProfileFactory(account=patient_user, relationship="child")
    siblings_item = approved_item(sibling, product.drug)
    other_drug_item = approved_item(patient, DrugFactory())
    strangers_item = approved_item(PatientProfileFactory(), product.drug)
    base = {
        "patient": patient.pk,
        "product": product.pk,
        "quantity": 1,
        "rx_notice_confirmed": True,
    }

    response = _add(patient_client, **base, prescription_item=siblings_item.pk)
    assert response.status_code == 400
    assert "prescription_item" in response.json()["errors"]
    response = _add(patient_client, **base, prescription_item=other_drug_item.pk)
    assert response.status_code == 400
    response = _add(patient_client, **base, prescription_item=strangers_item.pk)
    assert response.status_code == 404
    assert not CartLine.objects.exists()


def test_an_expired_prescription_cannot_be_shopped_against(patient_client, patient):
    import datetime as dt

    from django.utils import timezone

    product = RxProductFactory()
    stock(product, 10)
    past = timezone.localdate() - dt.timedelta(days=5)
    item = approved_item(patient, product.drug, issued_on=past, valid_until=past)
    response = _add(
        patient_client,
        patient=patient.pk,
        product=product.pk,
        quantity=1,
        prescription_item=item.pk,
        rx_notice_confirmed=True,
    )
    assert response.status_code == 404


def test_otc_purchase_limit_for_ephedrine_combinations(patient_client, patient, patient_user):
    drug = DrugFactory(
        rx_class=FormularyDrug.RxClass.OTC_A, sale_restriction="ephedrine_combination"
    )
    product = OtcDrugProductFactory(drug=drug)
    assert product.purchase_limit == 2
    stock(product, 20)
    assert (
        _add(patient_client, patient=patient.pk, product=product.pk, quantity=2).status_code == 201
    )
    response = _add(patient_client, patient=patient.pk, product=product.pk, quantity=1)
    assert response.status_code == 400
    assert response.json()["code"] == "purchase_limit"
    # The limit is per order, whoever the packs are for.
    child = PatientProfileFactory(account=patient_user, relationship="child")
    response = _add(patient_client, patient=child.pk, product=product.pk, quantity=1)
    assert response.status_code == 400


def test_another_accounts_patient_and_lines_are_404(patient_client, patient):
    product = ProductFactory()
    stock(product, 10)
    stranger = PatientProfileFactory()
    response = _add(patient_client, patient=stranger.pk, product=product.pk, quantity=1)
    assert response.status_code == 404
    assert "patient" in response.json()["errors"]

    other_client = APIClient()
    other_client.force_authenticate(stranger.account)
    _add(other_client, patient=stranger.pk, product=product.pk, quantity=1)
    line = CartLine.objects.get()
    assert (
        patient_client.patch(f"{LINES}{line.pk}/", {"quantity": 2}, format="json").status_code
        == 404
    )
    assert patient_client.delete(f"{LINES}{line.pk}/").status_code == 404
    line.refresh_from_db()
    assert line.quantity == 1


def test_update_and_remove_a_line(patient_client, patient):
    product = ProductFactory()
    stock(product, 5)
    _add(patient_client, patient=patient.pk, product=product.pk, quantity=1)
    line = CartLine.objects.get()
    response = patient_client.patch(f"{LINES}{line.pk}/", {"quantity": 4}, format="json")
    assert response.json()["lines"][0]["quantity"] == 4
    assert (
        patient_client.patch(f"{LINES}{line.pk}/", {"quantity": 0}, format="json").status_code
        == 400
    )
    assert (
        patient_client.patch(f"{LINES}{line.pk}/", {"quantity": 6}, format="json").status_code
        == 409
    )
    assert patient_client.delete(f"{LINES}{line.pk}/").json()["lines"] == []


def test_bad_input_is_a_400_with_field_errors(patient_client):
    response = patient_client.post(LINES, {"patient": "x", "quantity": -1}, format="json")
    assert response.status_code == 400
    assert {"patient", "product", "quantity"} <= set(response.json()["errors"])


def test_anonymous_cannot_use_a_cart(api_client):
    assert api_client.get("/api/v1/cart/").status_code in (401, 403)


@pytest.mark.parametrize("size", [1, 8])
def test_cart_query_count_is_constant_in_cart_size(
    patient_client, patient, django_assert_num_queries, size
):
    for _ in range(size):
        product = ProductFactory()
        stock(product, 5)
        _add(patient_client, patient=patient.pk, product=product.pk, quantity=1)
        rx = RxProductFactory()
        stock(rx, 5)
        item = approved_item(patient, rx.drug)
        _add(
            patient_client,
            patient=patient.pk,
            product=rx.pk,
            quantity=1,
            prescription_item=item.pk,
            rx_notice_confirmed=True,
        )
    with django_assert_num_queries(1):
        response = patient_client.get("/api/v1/cart/")
    assert len(response.json()["lines"]) == 2 * size
