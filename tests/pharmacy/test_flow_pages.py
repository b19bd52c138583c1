"""After paying an order, its page says so; 去购药 fills the cart from an approved prescription;
the order page leads to the quality complaint form."""

from __future__ import annotations

import pytest
from django.test import Client

from pharmacy import services
from pharmacy.models import CartLine, Order
from tests.accounts.factories import PatientProfileFactory
from tests.hospital.review_factories import DrugFactory, PrescriptionItemFactory
from tests.pharmacy.conftest import ADDRESS
from tests.pharmacy.factories import ProductFactory, RxProductFactory, approved_item, stock

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
NOTICE = {"rx_notice_confirmed": "1"}


@pytest.fixture
def web(patient_user):
    client = Client()
    client.force_login(patient_user)
    return client


def _order(patient) -> Order:
    product = ProductFactory()
    stock(product, 5)
    services.cart_line_add(
        account=patient.account, patient_id=patient.pk, product_id=product.pk, quantity=1
    )
    return services.order_checkout(account=patient.account, **ADDRESS)


def test_a_paid_order_says_it_is_paid_and_no_longer_asks_to_pay(web, patient):
    order = _order(patient)
    html = web.get(f"/shop/orders/{order.pk}/", **ZH).content.decode()
    assert "您需支付" in html

    started = web.post(f"/shop/orders/{order.pk}/pay/")
    response = web.post(started.url, {"choice": "pay"}, follow=True, **ZH)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/shop/orders/{order.pk}/"
    assert "已收到付款" in html
    assert "您已支付" in html
    assert "您需支付" not in html
    html = web.get(f"/shop/orders/{order.pk}/", **EN).content.decode()
    assert "You paid" in html


def test_the_order_page_leads_to_the_complaint_form(web, patient):
    order = _order(patient)
    html = web.get(f"/shop/orders/{order.pk}/", **ZH).content.decode()
    assert "请在订单中向我们反馈" in html
    assert f'href="/shop/orders/{order.pk}/complaint/"' in html

    # Not shipped yet: the form is not offered, and a post is refused with a message.
    page = web.get(f"/shop/orders/{order.pk}/complaint/", **EN).content.decode()
    assert 'data-testid="complaint-form"' not in page
    response = web.post(f"/shop/orders/{order.pk}/complaint/", {"text": "破损"}, **EN)
    assert response.status_code == 200
    assert "Complaints are about goods you received." in response.content.decode()

    Order.objects.filter(pk=order.pk).update(status=Order.Status.DELIVERED)
    assert (
        'data-testid="complaint-form"'
        in web.get(f"/shop/orders/{order.pk}/complaint/").content.decode()
    )
    response = web.post(
        f"/shop/orders/{order.pk}/complaint/", {"text": "药盒破损，药片受潮"}, follow=True, **EN
    )
    assert response.redirect_chain[-1][0] == f"/shop/orders/{order.pk}/"
    assert "Our pharmacy team will look into it" in response.content.decode()
    assert order.events.filter(note__startswith="complaint: 药盒破损").exists()


def test_an_empty_complaint_is_a_form_error_and_another_accounts_order_is_a_404(web, patient):
    order = _order(patient)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.DELIVERED)
    assert web.post(f"/shop/orders/{order.pk}/complaint/", {"text": ""}).status_code == 200
    assert not order.events.filter(note__startswith="complaint").exists()
    other = _order(PatientProfileFactory())
    assert web.get(f"/shop/orders/{other.pk}/complaint/").status_code == 404
    assert web.post(f"/shop/orders/{other.pk}/complaint/", {"text": "x"}).status_code == 404


def test_buy_these_medicines_fills_the_cart_with_what_is_left(web, patient):
    product = RxProductFactory()
    stock(product, 10)
    item = approved_item(patient, product.drug, packs=3)
    unsold = PrescriptionItemFactory(
        prescription=item.prescription, drug=DrugFactory(generic_name_zh="某未售药"), position=1
    )
    html = web.get("/prescriptions/mine/", **ZH).content.decode()
    assert "去购药" in html
    url = f"/shop/cart/from-prescription/{item.prescription_id}/"
    assert f'action="{url}"' in html

    response = web.post(url, NOTICE, follow=True, **ZH)
    assert response.redirect_chain[-1][0] == "/shop/cart/"
    html = response.content.decode()
    assert f"处方 #{item.prescription_id} 的药品已加入购物车" in html
    assert "某未售药" in html
    assert "本药房暂不销售" in html
    line = CartLine.objects.get()
    assert (line.patient_id, line.product_id, line.prescription_item_id, line.quantity) == (
        patient.pk,
        product.pk,
        item.pk,
        3,
    )
    assert unsold.pk

    # Pressing it again adds nothing twice: the line already holds all that is left.
    web.post(url, NOTICE)
    assert CartLine.objects.get().quantity == 3


def test_buy_these_medicines_tops_up_a_line_already_in_the_cart(web, patient):
    product = RxProductFactory()
    stock(product, 10)
    item = approved_item(patient, product.drug, packs=3)
    services.cart_line_add(
        account=patient.account,
        patient_id=patient.pk,
        product_id=product.pk,
        quantity=1,
        prescription_item_id=item.pk,
        rx_notice_confirmed=True,
    )
    web.post(f"/shop/cart/from-prescription/{item.prescription_id}/", NOTICE)
    assert CartLine.objects.get().quantity == 3


def test_buy_these_medicines_needs_the_notice_confirmed_and_stock(web, patient):
    product = RxProductFactory()
    item = approved_item(patient, product.drug, packs=2)
    url = f"/shop/cart/from-prescription/{item.prescription_id}/"

    response = web.post(url, follow=True, **EN)
    assert "Confirm that you have read" in response.content.decode()
    assert not CartLine.objects.exists()

    response = web.post(url, NOTICE, follow=True, **EN)
    assert response.status_code == 200
    assert "left in stock" in response.content.decode()
    assert not CartLine.objects.exists()


def test_buy_these_medicines_refuses_what_is_not_buyable_and_what_is_not_yours(web, patient):
    product = RxProductFactory()
    stock(product, 5)
    item = approved_item(patient, product.drug, packs=1)
    item.purchased_packs = 1
    item.save(update_fields=["purchased_packs"])
    response = web.post(
        f"/shop/cart/from-prescription/{item.prescription_id}/", NOTICE, follow=True, **EN
    )
    assert "Nothing is left to buy on this prescription" in response.content.decode()

    other = approved_item(PatientProfileFactory(), product.drug, packs=2)
    assert (
        web.post(f"/shop/cart/from-prescription/{other.prescription_id}/", NOTICE).status_code
        == 404
    )
    assert web.post("/shop/cart/from-prescription/99999999/", NOTICE).status_code == 404
    assert web.get(f"/shop/cart/from-prescription/{item.prescription_id}/").status_code == 405
    assert not CartLine.objects.exists()
