"""Drug traceability codes (追溯码) at dispensing: one scanned code per prescription pack, each
pack sold once, and a cancelled order's packs sellable again."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from core.exceptions import Conflict
from payments.services import payment_sandbox_complete
from pharmacy import services
from pharmacy.models import DispensedPack, Order, Product
from tests.accounts.factories import (
    PatientProfileFactory,
    PharmacistUserFactory,
    activate_totp,
)
from tests.concurrency import run_concurrently
from tests.pharmacy.conftest import ADDRESS
from tests.pharmacy.factories import RxProductFactory, approved_item, stock

pytestmark = pytest.mark.django_db

S = Order.Status


def _paid_rx_order(product: Product | None = None, packs: int = 2) -> Order:
    """A paid order of `packs` packs of a prescription drug, waiting for the pharmacist."""
    if product is None:
        product = RxProductFactory(price=Decimal("30.00"))
        stock(product, 20)
    patient = PatientProfileFactory()
    item = approved_item(patient, product.drug, packs=packs)
    services.cart_line_add(
        account=patient.account,
        patient_id=patient.pk,
        product_id=product.pk,
        quantity=packs,
        prescription_item_id=item.pk,
        rx_notice_confirmed=True,
    )
    order = services.order_checkout(account=patient.account, **ADDRESS)
    started = services.order_pay(account=patient.account, order_id=order.pk)
    payment_sandbox_complete(payment=started.payment, succeed=True)
    order.refresh_from_db()
    assert order.status == S.AWAITING_DISPENSING
    return order


@pytest.fixture
def pharmacist():
    return PharmacistUserFactory()


def _dispense_api(pharmacist, order, codes):
    client = APIClient()
    client.force_authenticate(pharmacist)
    return client.post(
        f"/api/v1/orders/{order.pk}/dispense/",
        {"traceability_codes": {str(k): v for k, v in codes.items()}},
        format="json",
    )


def test_every_prescription_pack_needs_its_code_before_it_leaves(pharmacist):
    order = _paid_rx_order(packs=2)
    line = order.lines.get()
    missing = _dispense_api(pharmacist, order, {line.pk: ["80000000000000000001"]})
    assert missing.status_code == 400
    assert f"traceability_codes.{line.pk}" in str(missing.json())
    malformed = _dispense_api(pharmacist, order, {line.pk: ["8000000000000000000X", "123"]})
    assert malformed.status_code == 400
    twice = _dispense_api(
        pharmacist, order, {line.pk: ["80000000000000000001", "80000000000000000001"]}
    )
    assert twice.status_code == 400
    order.refresh_from_db()
    assert order.status == S.AWAITING_DISPENSING
    assert not DispensedPack.objects.exists()

    codes = {line.pk: ["80000000000000000001", "80000000000000000002"]}
    response = _dispense_api(pharmacist, order, codes)
    assert response.status_code == 200, response.json()
    assert response.json()["lines"][0]["traceability_codes"] == codes[line.pk]
    pack = DispensedPack.objects.get(traceability_code="80000000000000000002")
    assert (pack.line_id, pack.recorded_by) == (line.pk, pharmacist)


def test_a_pack_already_sold_is_refused_and_nothing_is_picked(pharmacist):
    product = RxProductFactory()
    stock(product, 20)
    first, second = _paid_rx_order(product, packs=1), _paid_rx_order(product, packs=1)
    code = "81234567890123456789"
    services.order_dispense(
        order_id=first.pk, pharmacist=pharmacist, traceability_codes={first.lines.get().pk: [code]}
    )
    response = _dispense_api(pharmacist, second, {second.lines.get().pk: [code]})
    assert response.status_code == 409
    assert response.json()["code"] == "traceability_code_sold"
    second.refresh_from_db()
    assert second.status == S.AWAITING_DISPENSING
    assert not second.lines.get().picks.exists()


def test_a_cancelled_order_puts_its_packs_back_on_sale(pharmacist):
    product = RxProductFactory()
    stock(product, 20)
    order = _paid_rx_order(product, packs=1)
    code = "80000000000000000077"
    services.order_dispense(
        order_id=order.pk, pharmacist=pharmacist, traceability_codes={order.lines.get().pk: [code]}
    )
    services.order_cancel(order_id=order.pk, actor=order.account, account=order.account)
    assert not DispensedPack.objects.exists()
    again = _paid_rx_order(product, packs=1)
    services.order_dispense(
        order_id=again.pk, pharmacist=pharmacist, traceability_codes={again.lines.get().pk: [code]}
    )
    assert DispensedPack.objects.get().line.order_id == again.pk


def test_dispensing_page_takes_one_scanned_code_per_line(client, pharmacist):
    order = _paid_rx_order(packs=2)
    line = order.lines.get()
    activate_totp(pharmacist)
    client.force_login(pharmacist)
    page = client.get("/pharmacist/dispensing/")
    assert f'name="codes-{line.pk}"' in page.content.decode()
    client.post(
        f"/pharmacist/dispensing/{order.pk}/",
        {"action": "approve", f"codes-{line.pk}": "80000000000000000011\r\n80000000000000000012"},
    )
    order.refresh_from_db()
    assert order.status == S.PACKING
    assert sorted(line.packs.values_list("traceability_code", flat=True)) == [
        "80000000000000000011",
        "80000000000000000012",
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_pharmacists_scanning_the_same_pack_at_once_sell_it_once():
    product = RxProductFactory()
    stock(product, 20)
    orders = [_paid_rx_order(product, packs=1) for _ in range(2)]
    code = "89999999999999999999"
    jobs = [(order.pk, PharmacistUserFactory(), {order.lines.get().pk: [code]}) for order in orders]

    def dispense(order_id, pharmacist, codes):
        return services.order_dispense(
            order_id=order_id, pharmacist=pharmacist, traceability_codes=codes
        ).status

    outcomes = run_concurrently(dispense, jobs)
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1
    assert outcomes.count(S.PACKING) == 1
    assert DispensedPack.objects.filter(traceability_code=code).count() == 1
    assert Order.objects.filter(status=S.AWAITING_DISPENSING).count() == 1
