"""The shop's pages in one language: a Chinese page shows no English system words (forms,
routes, units, status codes, the courier's key, prescribers' notes), an English page no Chinese
system text. Products are the demo's own, built from the real formulary."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone, translation

from hospital.prescriptions.models import FormularyDrug
from payments.models import Payment
from payments.services import payment_sandbox_complete
from pharmacy import services
from pharmacy.demo import _categories, _drug_product
from pharmacy.models import Order, Shipment
from tests.hospital.prescription_factories import load_formulary
from tests.pharmacy.factories import stock

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def visible_text(response) -> str:
    assert response.status_code == 200
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def paracetamol():
    """The demo's OTC paracetamol product, as seed_demo builds it."""
    load_formulary()
    drug = FormularyDrug.objects.get(code="paracetamol-500mg-tab")
    product = _drug_product(drug, _categories()["N"])
    product.save()
    stock(product, 20)
    return product


def test_medicine_page_in_chinese_has_patient_copy_and_no_prescriber_notes(client, paracetamol):
    text = visible_text(client.get(f"/shop/products/{paracetamol.pk}/", **ZH))
    assert "【成份】对乙酰氨基酚" in text
    assert "【剂型】片剂" in text
    assert "【给药途径】口服" in text
    assert "用于缓解疼痛、发热" in text
    assert "【注意事项】使用前请阅读说明书" in text
    for english in [
        "Maximum is the prescribing limit",
        "under medical supervision",
        "OTC label",
        "【剂型】tablet",
        "【给药途径】oral",
        "【成份】paracetamol",
        "Indications:",
    ]:
        assert english not in text, english
    # The old placeholder indication is gone.
    assert "用于医生诊断的适应症" not in text


def test_medicine_page_in_english_has_no_chinese_copy(client, paracetamol):
    text = visible_text(client.get(f"/shop/products/{paracetamol.pk}/", **EN))
    assert "Dosage form: tablet" in text
    assert "Route: oral" in text
    assert "Relieves pain and fever" in text
    assert "Maximum is the prescribing limit" not in text
    leaflet = text.split("Package leaflet", 1)[1]
    copy = leaflet.split("Log in to buy", 1)[0]
    # Only the product's Chinese name may appear (it is a name); no Chinese sentence does.
    assert not CJK.search(copy.replace(paracetamol.drug.generic_name_zh, "")), copy
    for chinese in ["【", "请按说明书", "遵医嘱", "片剂", "口服"]:
        assert chinese not in text, chinese


def test_old_generated_texts_in_the_database_are_shown_as_patient_copy(client, paracetamol):
    paracetamol.indications = "请按说明书或遵医嘱使用。"
    paracetamol.leaflet = "【通用名称】对乙酰氨基酚片\n【注意事项】Maximum is the prescribing limit"
    paracetamol.save()
    text = visible_text(client.get(f"/shop/products/{paracetamol.pk}/", **ZH))
    assert "Maximum is the prescribing limit" not in text
    assert "用于缓解疼痛、发热" in text


@pytest.fixture
def delivered_order(
    patient_client, patient_user, patient, address, paracetamol, django_capture_on_commit_callbacks
):
    services.cart_line_add(
        account=patient_user, patient_id=patient.pk, product_id=paracetamol.pk, quantity=1
    )
    order_id = patient_client.post("/api/v1/checkout/", address, format="json").json()["id"]
    assert patient_client.post(f"/api/v1/orders/{order_id}/pay/").status_code == 200
    payment = Payment.objects.get(purpose="pharmacy_order", reference=str(order_id))
    # The worker that completes payment and polls the courier speaks the default language.
    with translation.override("zh-hans"):
        with django_capture_on_commit_callbacks(execute=True):
            payment_sandbox_complete(payment=payment, succeed=True)
        shipment = Shipment.objects.get()
        with (
            time_machine.travel(timezone.now() + dt.timedelta(days=2)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            services.shipment_poll(shipment_id=shipment.pk)
    order = Order.objects.get(pk=order_id)
    assert order.status == Order.Status.DELIVERED
    assert order.items_total == Decimal(paracetamol.price)
    return order


def test_order_page_in_chinese_names_statuses_notes_and_courier(
    client, patient_user, delivered_order
):
    client.force_login(patient_user)
    text = visible_text(client.get(f"/shop/orders/{delivered_order.pk}/", **ZH))
    assert "模拟快递" in text
    assert "已签收" in text or "已送达" in text
    for code in ["simulator", "pending_payment", "checkout", " paid ", "delivered", "shipped"]:
        assert code not in text, code


def test_order_page_in_english_shows_no_chinese_tracking_text(
    client, patient_user, delivered_order
):
    client.force_login(patient_user)
    text = visible_text(client.get(f"/shop/orders/{delivered_order.pk}/", **EN))
    assert "Simulated courier" in text
    assert "Delivered and signed for." in text, text[text.find("Tracking") :][:600]
    tracking = text.split("Tracking", 1)[1].split("Medicines cannot be returned", 1)[0]
    # Names and addresses the buyer typed may be Chinese; the system's words are not.
    typed = [delivered_order.city, delivered_order.recipient_name, delivered_order.address]
    for value in typed:
        tracking = tracking.replace(value, "")
    assert not CJK.search(tracking), tracking
