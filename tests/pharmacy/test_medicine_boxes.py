"""Medicine boxes: stocking from the pharmacy's lots, a sale collected at the box, prescription
medicines refused, restock tasks for low stock and near-expiry lots, a recall finding boxes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import Conflict, DomainError, NotFound
from hospital.prescriptions.models import FormularyDrug
from notifications.models import Notification
from payments.services import payment_sandbox_complete
from pharmacy import selectors, services, tasks
from pharmacy.models import (
    MedicineBoxItem,
    MedicineBoxLot,
    MedicineBoxMovement,
    MedicineBoxRestockTask,
    Order,
    StockMovement,
)
from tests.accounts.factories import OperatorUserFactory, PatientProfileFactory
from tests.pharmacy.box_factories import MedicineBoxFactory, box_item, box_order_paid
from tests.pharmacy.factories import OtcDrugProductFactory, RxProductFactory, stock

pytestmark = pytest.mark.django_db

S = Order.Status
Task = MedicineBoxRestockTask


def _sellable(item: MedicineBoxItem) -> int:
    box = selectors.medicine_box_get(code=item.box.code)
    return next(i.sellable for i in box.items_for_sale if i.pk == item.pk)


def test_restock_moves_packs_from_the_pharmacys_earliest_fresh_lots_into_the_box():
    product = OtcDrugProductFactory(price=Decimal("12.50"))
    stale = stock(product, 10, days=20, lot="NEAR")  # expires within the box's window
    first = stock(product, 3, days=200, lot="FIRST")
    stock(product, 10, days=400, lot="LATER")
    box = MedicineBoxFactory()

    item = box_item(box, product, par=5)

    lots = {lot.batch.lot_number: lot.quantity for lot in MedicineBoxLot.objects.filter(item=item)}
    assert lots == {"FIRST": 3, "LATER": 2}
    product.refresh_from_db()
    first.refresh_from_db()
    stale.refresh_from_db()
    assert (first.quantity, stale.quantity) == (0, 10)
    assert product.stock_on_hand == 23 - 5  # the packs have left the pharmacy's shelf
    moved = StockMovement.objects.filter(product=product, kind=StockMovement.Kind.TO_BOX)
    assert sorted(m.quantity for m in moved) == [-3, -2]
    assert _sellable(item) == 5


def test_a_purchase_at_the_box_is_an_order_collected_there_and_the_box_stock_falls():
    product = OtcDrugProductFactory(price=Decimal("12.50"))
    stock(product, 2, days=200, lot="EARLY")
    stock(product, 10, days=400, lot="LATE")
    box = MedicineBoxFactory()
    item = box_item(box, product, par=4)
    patient = PatientProfileFactory()
    pharmacy_before = product.__class__.objects.get(pk=product.pk).stock_on_hand

    order = services.medicine_box_order_create(
        account=patient.account,
        box_code=box.code,
        product_id=product.pk,
        quantity=3,
        patient_id=patient.pk,
    )
    assert order.status == S.PENDING_PAYMENT
    assert (order.delivery_method, order.medicine_box_id) == (Order.DeliveryMethod.BOX, box.pk)
    assert (order.shipping_fee, order.gross_total) == (Decimal("0.00"), Decimal("37.50"))
    assert _sellable(item) == 1  # held for the buyer while they pay

    started = services.order_pay(account=patient.account, order_id=order.pk)
    payment_sandbox_complete(payment=started.payment, succeed=True)

    order.refresh_from_db()
    assert order.status == S.DELIVERED
    assert order.delivered_at is not None
    picks = {
        (p.batch.lot_number, p.quantity) for p in order.lines.get().picks.select_related("batch")
    }
    assert picks == {("EARLY", 2), ("LATE", 1)}  # earliest expiry first
    item.refresh_from_db()
    assert item.reserved == 0
    assert _sellable(item) == 1
    sold = MedicineBoxMovement.objects.filter(box=box, kind=MedicineBoxMovement.Kind.SOLD)
    assert sum(m.quantity for m in sold) == -3
    # The pharmacy's own stock is untouched by a box sale.
    assert product.__class__.objects.get(pk=product.pk).stock_on_hand == pharmacy_before
    # One pack left, at the low mark: the restocking round is told.
    task = Task.objects.get(item=item)
    assert (task.reason, task.status) == (Task.Reason.LOW_STOCK, Task.Status.OPEN)


def test_an_unpaid_box_order_that_expires_lets_its_packs_go():
    product = OtcDrugProductFactory()
    stock(product, 10, days=300)
    box = MedicineBoxFactory()
    item = box_item(box, product, par=2)
    patient = PatientProfileFactory()
    order = services.medicine_box_order_create(
        account=patient.account,
        box_code=box.code,
        product_id=product.pk,
        quantity=2,
        patient_id=patient.pk,
    )
    assert _sellable(item) == 0

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        assert services.orders_expire_unpaid() == 1

    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert _sellable(item) == 2


def test_prescription_medicines_are_refused_at_stocking():
    rx = RxProductFactory()
    stock(rx, 10)
    box = MedicineBoxFactory()

    with pytest.raises(DomainError) as refused:
        services.medicine_box_item_add(box_id=box.pk, product_id=rx.pk)

    assert refused.value.code == "prescription_not_in_box"
    assert not MedicineBoxItem.objects.exists()


def test_a_box_product_that_becomes_prescription_only_is_refused_at_sale_and_restock():
    product = OtcDrugProductFactory()
    stock(product, 10, days=300)
    box = MedicineBoxFactory()
    item = box_item(box, product, par=3)
    drug = product.drug
    drug.rx_class = FormularyDrug.RxClass.RX
    drug.save()
    product.refresh_from_db()
    assert product.is_prescription
    patient = PatientProfileFactory()

    with pytest.raises(DomainError) as refused:
        services.medicine_box_order_create(
            account=patient.account,
            box_code=box.code,
            product_id=product.pk,
            quantity=1,
            patient_id=patient.pk,
        )
    assert refused.value.code == "prescription_not_in_box"
    with pytest.raises(DomainError):
        services.medicine_box_restock(item_id=item.pk)
    assert not Order.objects.exists()
    item.refresh_from_db()
    assert item.reserved == 0


def test_more_than_the_box_holds_is_refused_and_changes_nothing():
    product = OtcDrugProductFactory()
    stock(product, 10, days=300)
    box = MedicineBoxFactory()
    item = box_item(box, product, par=2)
    patient = PatientProfileFactory()

    with pytest.raises(Conflict) as refused:
        services.medicine_box_order_create(
            account=patient.account,
            box_code=box.code,
            product_id=product.pk,
            quantity=3,
            patient_id=patient.pk,
        )
    assert refused.value.code == "out_of_stock"
    assert not Order.objects.exists()
    assert _sellable(item) == 2


def test_another_accounts_patient_is_not_found():
    product = OtcDrugProductFactory()
    stock(product, 10, days=300)
    box = MedicineBoxFactory()
    box_item(box, product)
    buyer, stranger = PatientProfileFactory(), PatientProfileFactory()

    with pytest.raises(NotFound):
        services.medicine_box_order_create(
            account=buyer.account,
            box_code=box.code,
            product_id=product.pk,
            quantity=1,
            patient_id=stranger.pk,
        )
    assert not Order.objects.exists()


def test_near_expiry_lots_in_a_box_raise_one_task_and_a_restock_swaps_them_for_fresh_ones():
    product = OtcDrugProductFactory()
    aging = stock(product, 3, days=60, lot="AGING")
    stock(product, 10, days=400, lot="FRESH")
    box = MedicineBoxFactory()
    operator = OperatorUserFactory()
    item = box_item(box, product, par=3)
    assert {lot.batch.lot_number for lot in item.lots.filter(quantity__gt=0)} == {"AGING"}
    assert services.medicine_boxes_review() == 0

    with time_machine.travel(timezone.now() + dt.timedelta(days=35)):
        # The periodic expiry scan reviews the boxes too.
        assert tasks.review_batch_expiry()["box_restock_tasks"] == 1
        assert services.medicine_boxes_review() == 0  # an open task is not raised twice
        task = Task.objects.get(item=item)
        assert task.reason == Task.Reason.NEAR_EXPIRY
        assert "AGING" in task.detail
        assert (
            Notification.objects.filter(recipient=operator, kind="pharmacy.box_restock").count()
            == 1
        )

        done = services.medicine_box_restock_task_do(task_id=task.pk, actor=operator)

    assert (done.placed, done.withdrawn) == (3, 3)
    lots = {lot.batch.lot_number: lot.quantity for lot in item.lots.all()}
    assert lots == {"AGING": 0, "FRESH": 3}
    aging.refresh_from_db()
    assert aging.quantity == 3  # back on the pharmacy's shelf
    task.refresh_from_db()
    assert task.status == Task.Status.DONE
    assert task.closed_at is not None
    assert list(task.events.values_list("to_status", flat=True)) == ["open", "done"]


def test_a_recall_of_a_lot_finds_the_boxes_that_hold_it_and_the_buyers_who_took_it():
    product = OtcDrugProductFactory()
    stock(product, 20, days=300, lot="RECALL-1")
    office, car = MedicineBoxFactory(), MedicineBoxFactory(site="car", name="车队药箱")
    box_item(office, product, par=4)
    box_item(car, product, par=2)
    patient = PatientProfileFactory()
    order = box_order_paid(patient.account, patient, car, product, quantity=1)

    locations = selectors.lot_recall_locations(lot_number="RECALL-1")

    assert {(loc.item.box.pk, loc.quantity) for loc in locations} == {(office.pk, 4), (car.pk, 1)}
    sold = order.lines.get().picks.get()
    assert (sold.batch.lot_number, sold.quantity) == ("RECALL-1", 1)


def test_a_lot_that_expired_while_the_buyer_paid_is_never_handed_over_and_the_payment_goes_back():
    product = OtcDrugProductFactory()
    stock(product, 1, days=31, lot="LAST")
    box = MedicineBoxFactory()
    box_item(box, product, par=1, low=0)
    patient = PatientProfileFactory()
    order = services.medicine_box_order_create(
        account=patient.account,
        box_code=box.code,
        product_id=product.pk,
        quantity=1,
        patient_id=patient.pk,
    )
    started = services.order_pay(account=patient.account, order_id=order.pk)

    with time_machine.travel(timezone.now() + dt.timedelta(days=32)):
        payment_sandbox_complete(payment=started.payment, succeed=True)

    order.refresh_from_db()
    assert order.status == S.REFUNDED
    assert not order.lines.get().picks.exists()
    started.payment.refresh_from_db()
    assert started.payment.refunded_amount == started.payment.amount
