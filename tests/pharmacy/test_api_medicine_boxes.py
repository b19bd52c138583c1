"""Medicine boxes through the API, the scan page and the admin: a purchase end to end, bad input
answered with field errors and nothing changed, prescription medicines never offered."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from payments.models import Payment
from payments.services import payment_sandbox_complete
from pharmacy import services
from pharmacy.models import (
    MedicineBox,
    MedicineBoxItem,
    MedicineBoxLot,
    MedicineBoxRestockTask,
    Order,
)
from tests.accounts.factories import OperatorUserFactory, PatientProfileFactory, activate_totp
from tests.pharmacy.box_factories import MedicineBoxFactory, box_item
from tests.pharmacy.factories import OtcDrugProductFactory, RxProductFactory, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def box_with_stock():
    product = OtcDrugProductFactory(price=Decimal("18.00"))
    stock(product, 20, days=300, lot="API-1")
    box = MedicineBoxFactory()
    item = box_item(box, product, par=3)
    return box, item


def _buyer() -> tuple[APIClient, object]:
    patient = PatientProfileFactory()
    client = APIClient()
    client.force_authenticate(patient.account)
    return client, patient


def test_anyone_who_scans_the_code_sees_what_the_box_sells(api_client, box_with_stock):
    box, item = box_with_stock
    body = api_client.get(f"/api/v1/medicine-boxes/{box.code}/").json()
    assert body["name"] == box.name
    assert body["items"] == [
        {
            "product": item.product_id,
            "name_zh": item.product.name_zh,
            "name_en": item.product.name_en,
            "pack_description": item.product.pack_description,
            "price": "18.00",
            "purchase_limit": None,
            "available": 3,
        }
    ]
    assert api_client.get("/api/v1/medicine-boxes/NOSUCHBOX/").status_code == 404


def test_reading_a_box_costs_the_same_queries_whatever_it_carries(
    api_client, box_with_stock, django_assert_num_queries
):
    box, _item = box_with_stock
    with django_assert_num_queries(2):
        assert len(api_client.get(f"/api/v1/medicine-boxes/{box.code}/").json()["items"]) == 1
    for _ in range(4):
        product = OtcDrugProductFactory()
        stock(product, 5, days=300)
        box_item(box, product, par=2)
    with django_assert_num_queries(2):
        assert len(api_client.get(f"/api/v1/medicine-boxes/{box.code}/").json()["items"]) == 5


def test_a_box_that_stopped_selling_is_not_found(api_client, box_with_stock):
    box, _item = box_with_stock
    MedicineBox.objects.filter(pk=box.pk).update(is_active=False)
    assert api_client.get(f"/api/v1/medicine-boxes/{box.code}/").status_code == 404


def test_purchase_end_to_end_through_the_api(box_with_stock):
    box, item = box_with_stock
    client, patient = _buyer()

    created = client.post(
        f"/api/v1/medicine-boxes/{box.code}/orders/",
        {"patient": patient.pk, "product": item.product_id, "quantity": 2},
        format="json",
        HTTP_IDEMPOTENCY_KEY="box-buy-1",
    )
    assert created.status_code == 201, created.content
    order = created.json()
    assert (order["delivery_method"], order["medicine_box"]) == ("box", box.code)
    assert (order["shipping_fee"], order["patient_due"]) == ("0.00", "36.00")
    again = client.post(
        f"/api/v1/medicine-boxes/{box.code}/orders/",
        {"patient": patient.pk, "product": item.product_id, "quantity": 2},
        format="json",
        HTTP_IDEMPOTENCY_KEY="box-buy-1",
    )
    assert again.json()["id"] == order["id"]
    assert Order.objects.count() == 1

    pay = client.post(f"/api/v1/orders/{order['id']}/pay/")
    assert pay.status_code == 200
    payment_sandbox_complete(payment=Payment.objects.get(reference=str(order["id"])), succeed=True)

    done = client.get(f"/api/v1/orders/{order['id']}/").json()
    assert done["status"] == "delivered"
    assert done["lines"][0]["picks"] == [
        {
            "lot_number": "API-1",
            "expiry_date": done["lines"][0]["picks"][0]["expiry_date"],
            "quantity": 2,
        }
    ]
    left = client.get(f"/api/v1/medicine-boxes/{box.code}/").json()["items"][0]["available"]
    assert left == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"product": 1, "quantity": 1}, "patient"),
        ({"patient": 1, "product": "x", "quantity": 1}, "product"),
        ({"patient": 1, "product": 1, "quantity": 0}, "quantity"),
        ({"patient": 1, "product": 1, "quantity": 100}, "quantity"),
        ({"patient": 1, "product": 1, "quantity": True}, "quantity"),
        ({"patient": 1, "product": 2**70, "quantity": 1}, "product"),
    ],
)
def test_bad_input_is_a_field_error_and_changes_nothing(box_with_stock, body, field):
    box, item = box_with_stock
    client, _patient = _buyer()
    response = client.post(f"/api/v1/medicine-boxes/{box.code}/orders/", body, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    assert not Order.objects.exists()
    item.refresh_from_db()
    assert item.reserved == 0


def test_refusals_answer_4xx_and_change_nothing(box_with_stock):
    box, item = box_with_stock
    client, patient = _buyer()
    _other_client, stranger = _buyer()
    rx = RxProductFactory()
    stock(rx, 5)
    url = f"/api/v1/medicine-boxes/{box.code}/orders/"

    not_carried = client.post(url, {"patient": patient.pk, "product": rx.pk, "quantity": 1})
    assert not_carried.status_code == 400
    assert "product" in str(not_carried.json())
    not_yours = client.post(
        url, {"patient": stranger.pk, "product": item.product_id, "quantity": 1}
    )
    assert not_yours.status_code == 404
    too_many = client.post(url, {"patient": patient.pk, "product": item.product_id, "quantity": 4})
    assert too_many.status_code == 409
    no_box = client.post(
        "/api/v1/medicine-boxes/NOSUCHBOX/orders/",
        {"patient": patient.pk, "product": item.product_id, "quantity": 1},
    )
    assert no_box.status_code == 404
    anonymous = APIClient().post(
        url, {"patient": patient.pk, "product": item.product_id, "quantity": 1}
    )
    assert anonymous.status_code in (401, 403)
    assert not Order.objects.exists()
    item.refresh_from_db()
    assert item.reserved == 0


def test_a_prescription_medicine_is_never_offered_on_the_box(api_client, box_with_stock):
    box, item = box_with_stock
    rx = RxProductFactory()
    stock(rx, 5)
    # An item slipped in around the services (a raw insert) is still never offered.
    MedicineBoxItem.objects.create(box=box, product=rx, par_level=3, reorder_level=1)
    products = [
        row["product"]
        for row in api_client.get(f"/api/v1/medicine-boxes/{box.code}/").json()["items"]
    ]
    assert products == [item.product_id]


def test_the_scan_page_fits_a_phone_and_sells_in_both_languages(client, box_with_stock):
    box, _item = box_with_stock
    page = client.get(f"/box/{box.code}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert box.name in page
    assert "剩 3 盒" in page
    assert "登录后购买" in page or "登录" in page
    # Phone width (390px): one column, no tables, the site's viewport meta.
    assert "<table" not in page
    assert 'name="viewport" content="width=device-width' in page
    assert "flex-wrap:wrap" in page
    client.cookies["django_language"] = "en"
    english = client.get(f"/box/{box.code}/").content.decode()
    assert "3 packs left" in english
    assert client.get("/box/NOSUCHBOX/").status_code == 404


def test_buying_on_the_scan_page_leads_to_paying_the_order(client, box_with_stock):
    box, item = box_with_stock
    patient = PatientProfileFactory()
    client.force_login(patient.account)

    response = client.post(
        f"/box/{box.code}/",
        {"product": item.product_id, "quantity": 1, "patient": patient.pk},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/shop/orders/{order.pk}/"
    detail = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="box-pickup"' in detail
    assert box.name in detail
    assert "快递单号" not in detail
    bad = client.post(
        f"/box/{box.code}/", {"product": item.product_id, "quantity": 0, "patient": patient.pk}
    )
    assert bad.status_code == 200
    assert Order.objects.count() == 1


def _operator():
    operator = OperatorUserFactory(is_superuser=True)
    activate_totp(operator)
    return operator


def test_operators_restock_and_trace_lots_in_the_admin(client, box_with_stock):
    box, item = box_with_stock
    patient = PatientProfileFactory()
    services.medicine_box_order_create(
        account=patient.account,
        box_code=box.code,
        product_id=item.product_id,
        quantity=3,
        patient_id=patient.pk,
    )
    client.force_login(_operator())
    for url in (
        "/admin/pharmacy/medicinebox/",
        f"/admin/pharmacy/medicinebox/{box.pk}/change/",
        "/admin/pharmacy/medicineboxitem/?q=" + box.code,
        f"/admin/pharmacy/medicineboxitem/{item.pk}/change/",
        "/admin/pharmacy/medicineboxlot/?q=API-1",
        "/admin/pharmacy/medicineboxmovement/?kind=stocked",
        "/admin/pharmacy/medicineboxrestocktask/?status=open",
    ):
        assert client.get(url).status_code == 200, url
    lots = client.get("/admin/pharmacy/medicineboxlot/?q=API-1").content.decode()
    assert box.name in lots

    MedicineBoxLot.objects.filter(item=item).update(quantity=1, quantity_placed=3)
    response = client.post(
        "/admin/pharmacy/medicineboxitem/",
        {"action": "restock", "_selected_action": [item.pk]},
    )
    assert response.status_code == 302
    assert sum(MedicineBoxLot.objects.filter(item=item).values_list("quantity", flat=True)) == 3

    # The restock task list's action does the restock its task asks for, and closes it.
    MedicineBoxLot.objects.filter(item=item).update(quantity=0)
    assert services.medicine_boxes_review() == 1
    task = MedicineBoxRestockTask.objects.get(status="open")
    response = client.post(
        "/admin/pharmacy/medicineboxrestocktask/",
        {"action": "restock", "_selected_action": [task.pk]},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == MedicineBoxRestockTask.Status.DONE


def test_the_admin_refuses_a_prescription_medicine_for_a_box(client, box_with_stock):
    box, _item = box_with_stock
    rx = RxProductFactory()
    client.force_login(_operator())
    response = client.post(
        "/admin/pharmacy/medicineboxitem/add/",
        {"box": box.pk, "product": rx.pk, "par_level": 3, "reorder_level": 1, "is_active": "on"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert not MedicineBoxItem.objects.filter(product=rx).exists()


def test_demo_has_two_boxes_with_stock():
    call_command("load_formulary", stdout=io.StringIO())
    from pharmacy.demo import seed_demo_data

    seed_demo_data(stdout=io.StringIO())
    seed_demo_data(stdout=io.StringIO())  # idempotent
    boxes = MedicineBox.objects.all()
    assert boxes.count() == 2
    for box in boxes:
        lots = MedicineBoxLot.objects.filter(item__box=box, quantity__gt=0)
        assert lots.count() >= 3, box
        assert not lots.filter(item__product__is_prescription=True).exists()
