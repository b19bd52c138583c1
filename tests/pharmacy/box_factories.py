"""Medicine boxes for tests: a box at a partner's office, stocked through the services."""

from __future__ import annotations

from typing import Any

import factory

from payments.services import payment_sandbox_complete
from pharmacy import services
from pharmacy.models import MedicineBox, MedicineBoxItem, Order, Product


class MedicineBoxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicineBox

    name = factory.Sequence(lambda n: f"望京办公室药箱{n}")
    partner = "示例科技有限公司"
    site = MedicineBox.Site.OFFICE
    city = "北京"
    location = "朝阳区望京街 8 号 12 层茶水间"


def box_item(
    box: MedicineBox, product: Product, *, par: int = 5, low: int = 1, restock: bool = True
) -> MedicineBoxItem:
    """The box carries the product, filled up to `par` from the pharmacy's lots."""
    item = services.medicine_box_item_add(
        box_id=box.pk, product_id=product.pk, par_level=par, reorder_level=low
    )
    if restock:
        services.medicine_box_restock(item_id=item.pk)
    item.refresh_from_db()
    return item


def box_order_paid(
    account: Any, patient: Any, box: MedicineBox, product: Product, quantity: int = 1
) -> Order:
    """A box sale paid through the sandbox gateway, as the buyer at the box pays it."""
    order = services.medicine_box_order_create(
        account=account,
        box_code=box.code,
        product_id=product.pk,
        quantity=quantity,
        patient_id=patient.pk,
    )
    started = services.order_pay(account=account, order_id=order.pk)
    assert started.payment is not None  # a box sale always has something to pay
    payment_sandbox_complete(payment=started.payment, succeed=True)
    order.refresh_from_db()
    return order
