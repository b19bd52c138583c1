"""Medicine boxes under concurrency, on PostgreSQL with real threads: the last pack in a box
goes to exactly one of two buyers; a restock and a sale at once never lose a pack."""

from __future__ import annotations

from collections import Counter

import pytest
from rest_framework.test import APIClient

from payments.services import payment_sandbox_complete
from pharmacy import services
from pharmacy.models import MedicineBoxItem, MedicineBoxLot, Order
from tests.accounts.factories import PatientProfileFactory
from tests.concurrency import run_concurrently
from tests.pharmacy.box_factories import MedicineBoxFactory, box_item
from tests.pharmacy.factories import OtcDrugProductFactory, stock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _buyer():
    patient = PatientProfileFactory()
    client = APIClient()
    client.force_authenticate(patient.account)
    return client, patient


def test_the_last_pack_in_a_box_with_two_buyers_exactly_one_buys():
    product = OtcDrugProductFactory()
    stock(product, 10, days=300)
    box = MedicineBoxFactory()
    item = box_item(box, product, par=1, low=0)
    buyers = [_buyer() for _ in range(2)]
    url = f"/api/v1/medicine-boxes/{box.code}/orders/"

    def buy(client, patient):
        body = {"patient": patient.pk, "product": product.pk, "quantity": 1}
        return client.post(url, body, format="json").status_code

    outcome = Counter(run_concurrently(buy, buyers))

    assert outcome == Counter({201: 1, 409: 1})
    order = Order.objects.get()
    item.refresh_from_db()
    assert item.reserved == 1
    # The one who bought pays and takes the pack; the box is then empty, never below.
    started = services.order_pay(account=order.account, order_id=order.pk)
    payment_sandbox_complete(payment=started.payment, succeed=True)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert list(MedicineBoxLot.objects.filter(item=item).values_list("quantity", flat=True)) == [0]
    assert MedicineBoxItem.objects.get(pk=item.pk).reserved == 0


def test_six_buyers_for_three_packs_and_a_restock_at_once_never_oversell():
    product = OtcDrugProductFactory()
    stock(product, 10, days=300)
    box = MedicineBoxFactory()
    item = box_item(box, product, par=3, low=0)
    MedicineBoxItem.objects.filter(pk=item.pk).update(par_level=6)
    buyers = [_buyer() for _ in range(6)]

    def buy(client, patient):
        return services.medicine_box_order_create(
            account=patient.account,
            box_code=box.code,
            product_id=product.pk,
            quantity=1,
            patient_id=patient.pk,
        )

    def restock():
        return services.medicine_box_restock(item_id=item.pk)

    outcomes = run_concurrently(
        lambda job, *args: job(*args), [(buy, *b) for b in buyers] + [(restock,)]
    )

    orders = [o for o in outcomes[:6] if isinstance(o, Order)]
    refusals = [o for o in outcomes[:6] if not isinstance(o, Order)]
    assert all(getattr(r, "code", None) == "out_of_stock" for r in refusals), refusals
    in_box = sum(MedicineBoxLot.objects.filter(item=item).values_list("quantity", flat=True))
    assert in_box == 6  # the restock placed its three whatever the buyers did
    assert 3 <= len(orders) <= 6
    item.refresh_from_db()
    assert item.reserved == len(orders) <= in_box
    product.refresh_from_db()
    assert product.stock_on_hand == 10 - 6
