from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from pharmacy.models import Batch, CartLine, Category, Order, Product
from tests.accounts.factories import OperatorUserFactory, PharmacistUserFactory, activate_totp
from tests.pharmacy.factories import (
    CategoryFactory,
    ProductFactory,
    RxProductFactory,
    approved_item,
    stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(patient_user):
    client = Client()
    client.force_login(patient_user)
    return client


def test_home_shows_otc_images_and_rx_products_as_text_only(client):
    device = ProductFactory(name_zh="电子血压计")
    rx = RxProductFactory(name_zh="氨氯地平片")
    html = client.get("/").content.decode()
    assert "电子血压计" in html
    assert "illustrations/device.svg" in html
    assert "氨氯地平片" in html
    rx_tile = re.search(r'data-testid="home-rx">(.*?)</li>', html, re.S)
    assert rx_tile
    assert "<img" not in rx_tile.group(1)
    assert f'alt="{rx.name_zh}"' not in html
    assert device.pk


def test_catalog_search_and_category_pages_have_no_rx_images(client):
    category = Category.objects.create(name_zh="心血管", name_en="Heart", slug="heart")
    rx = RxProductFactory(category=category, name_zh="布洛芬片")
    html = client.get("/shop/", {"q": "blf"}).content.decode()
    assert "布洛芬片" in html
    assert f'alt="{rx.name_zh}"' not in html
    html = client.get("/shop/", {"category": "heart"}).content.decode()
    assert "布洛芬片" in html
    assert "<img" not in html.split("product-grid")[1]


def test_rx_product_page_notice_and_add_to_cart_with_confirmation(web, patient):
    product = RxProductFactory()
    stock(product, 5)
    html = web.get(f"/shop/products/{product.pk}/").content.decode()
    assert "处方药须凭处方在药师指导下购买和使用" in html
    assert 'data-testid="details-hidden"' in html

    item = approved_item(patient, product.drug, packs=2)
    html = web.get(f"/shop/products/{product.pk}/").content.decode()
    assert 'data-testid="indications"' in html
    form = {"patient": patient.pk, "quantity": 1, "prescription_item": item.pk}
    web.post(f"/shop/products/{product.pk}/", form)
    assert not CartLine.objects.exists()
    response = web.post(f"/shop/products/{product.pk}/", {**form, "rx_notice_confirmed": "on"})
    assert response.status_code == 302
    assert CartLine.objects.get().prescription_item_id == item.pk


def test_cart_checkout_pay_in_the_sandbox_and_see_the_order(web, patient):
    product = ProductFactory(price=Decimal("30.00"))
    stock(product, 5)
    web.post(f"/shop/products/{product.pk}/", {"patient": patient.pk, "quantity": 2})
    assert "30.00" in web.get("/shop/cart/").content.decode()
    line = CartLine.objects.get()
    web.post("/shop/cart/", {"line": line.pk, "quantity": 3})
    line.refresh_from_db()
    assert line.quantity == 3

    response = web.post(
        "/shop/checkout/",
        {
            "delivery_method": "express",
            "recipient_name": "张三",
            "recipient_phone": "13800138000",
            "city": "上海",
            "address": "世纪大道 1 号",
        },
    )
    order = Order.objects.get()
    assert response.url == f"/shop/orders/{order.pk}/"
    response = web.post(f"/shop/orders/{order.pk}/pay/")
    assert "/payments/sandbox/" in response.url
    response = web.post(response.url, {"choice": "pay"})
    assert response.url == f"/shop/orders/{order.pk}/"
    order.refresh_from_db()
    assert order.status in (Order.Status.PACKING, Order.Status.SHIPPED)
    html = web.get(f"/shop/orders/{order.pk}/").content.decode()
    assert order.number in html
    assert order.number in web.get("/shop/orders/").content.decode()


def test_other_accounts_order_page_is_404(web):
    from pharmacy import services
    from tests.accounts.factories import PatientProfileFactory
    from tests.pharmacy.conftest import ADDRESS

    other = PatientProfileFactory()
    product = ProductFactory()
    stock(product, 2)
    services.cart_line_add(
        account=other.account, patient_id=other.pk, product_id=product.pk, quantity=1
    )
    order = services.order_checkout(account=other.account, **ADDRESS)
    assert web.get(f"/shop/orders/{order.pk}/").status_code == 404
    assert web.post(f"/shop/orders/{order.pk}/cancel/").status_code == 404


def test_dispensing_queue_is_for_pharmacists(web):
    assert web.get("/pharmacist/dispensing/").status_code == 403
    pharmacist = PharmacistUserFactory()
    activate_totp(pharmacist)
    client = Client()
    client.force_login(pharmacist)
    assert client.get("/pharmacist/dispensing/").status_code == 200


def test_admin_lists_and_forms_open(client):
    operator = OperatorUserFactory(is_superuser=True)
    activate_totp(operator)
    client.force_login(operator)
    product = ProductFactory()
    stock(product, 3)
    for url in (
        "/admin/pharmacy/product/",
        f"/admin/pharmacy/product/{product.pk}/change/",
        "/admin/pharmacy/batch/",
        "/admin/pharmacy/batch/add/",
        "/admin/pharmacy/order/",
        "/admin/pharmacy/stockmovement/",
        "/admin/pharmacy/shipment/",
        "/admin/pharmacy/orderlinepick/",
        "/admin/pharmacy/category/",
    ):
        assert client.get(url).status_code == 200, url


def test_demo_data_has_the_catalog_the_issue_asks_for():
    call_command("load_formulary", stdout=io.StringIO())
    from pharmacy.demo import seed_demo_data

    seed_demo_data(stdout=io.StringIO())
    seed_demo_data(stdout=io.StringIO())  # idempotent
    products = Product.objects.listed()
    assert products.count() >= 200
    assert Category.objects.count() >= 12
    assert products.filter(is_prescription=True).count() > 50
    assert products.filter(is_prescription=False, kind="drug").exists()
    assert products.filter(kind="device").count() >= 20
    assert Batch.objects.filter(is_expired=True).count() == 1
    assert Batch.objects.filter(is_expired=False, expiry_date__lte=_in_days(90)).exists()
    assert (
        not Product.objects.exclude(drug__control_class="normal")
        .filter(drug__isnull=False)
        .exists()
    )


def _in_days(days: int):
    import datetime as dt

    from django.utils import timezone

    return timezone.localdate() + dt.timedelta(days=days)


def test_shop_pages_speak_chinese_by_default_and_english_on_request(client):
    html = client.get("/shop/").content.decode()
    assert "全部分类" in html
    client.cookies["django_language"] = "en"
    assert "All categories" in client.get("/shop/").content.decode()


def test_catalog_lists_each_category_under_its_own_parent(client):
    medicines = CategoryFactory(name_zh="药品", position=1)
    devices = CategoryFactory(name_zh="医疗器械", position=2)
    CategoryFactory(name_zh="血糖监测", parent=devices, position=1)
    CategoryFactory(name_zh="消化与代谢", parent=medicines, position=3)
    CategoryFactory(name_zh="血液与造血", parent=medicines, position=4)

    page = client.get("/shop/").content.decode()
    order = [
        page.index(name) for name in ("药品", "消化与代谢", "血液与造血", "医疗器械", "血糖监测")
    ]
    assert order == sorted(order)
