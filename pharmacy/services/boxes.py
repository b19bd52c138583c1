"""Medicine boxes: stocking a box from the pharmacy's lots, selling from it, restock tasks.

A box sale is an ordinary order (pending payment → paid → collected) whose pickup point is the
box. Checkout holds the packs on the box item (`reserved`); payment picks them from the box's
lots, earliest expiry first, and records which lot went to the buyer, as any sale does.

Lock order, everywhere: the box item, then its product, then the box's lots, then the
pharmacy's batches. Two buyers of a box's last pack both wait on the box item's row, so the
second one sees the first one's hold and is refused.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import patient_profile_get
from core.actors import acting_user
from core.exceptions import Conflict, DomainError, NotFound
from core.transitions import status_change
from notifications.services import notification_send_to_operators
from pharmacy.models import (
    Batch,
    MedicineBox,
    MedicineBoxItem,
    MedicineBoxLot,
    MedicineBoxMovement,
    MedicineBoxRestockTask,
    Order,
    OrderEvent,
    OrderLine,
    OrderLinePick,
    Product,
    StockMovement,
)
from pharmacy.rules import figure
from pharmacy.selectors import order_detail_of_new
from pharmacy.services.cart import check_purchase_limits
from pharmacy.services.checkout import order_number_new

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
Task = MedicineBoxRestockTask
BoxMove = MedicineBoxMovement.Kind


@dataclass(frozen=True)
class BoxRestock:
    item: MedicineBoxItem
    placed: int
    withdrawn: int


def near_expiry_horizon() -> dt.date:
    """Lots expiring on or before this day are not kept in (nor put into) a box."""
    return timezone.localdate() + dt.timedelta(days=figure("BOX_NEAR_EXPIRY_DAYS"))


def check_box_product(product: Product) -> None:
    """Only OTC goods on sale go into a box: a prescription medicine needs a pharmacist's
    review of a prescription before it is sold, which nobody does at a box."""
    if product.is_prescription:
        raise DomainError(
            _("Prescription medicines are never sold from a medicine box."),
            field="product",
            code="prescription_not_in_box",
        )
    if not product.is_active or (product.drug is not None and product.drug.is_forbidden_online):
        raise DomainError(
            _("%(product)s is not on sale.") % {"product": product.name},
            field="product",
            code="product_unavailable",
        )


def _sellable_in_box(item: MedicineBoxItem) -> int:
    """Packs of the (locked) item's unexpired lots not held by unpaid orders."""
    on_hand = MedicineBoxLot.objects.filter(
        item=item, batch__expiry_date__gte=timezone.localdate()
    ).aggregate(total=Sum("quantity"))["total"]
    return (on_hand or 0) - item.reserved


# --- stocking ------------------------------------------------------------------------------


@transaction.atomic
def medicine_box_item_add(
    *, box_id: int, product_id: int, par_level: int = 5, reorder_level: int = 1
) -> MedicineBoxItem:
    """The box starts carrying a product (empty until restocked)."""
    box = MedicineBox.objects.filter(pk=box_id).first()
    if box is None:
        raise NotFound(_("No such medicine box."))
    product = Product.objects.select_related("drug").filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("No such product."), field="product")
    check_box_product(product)
    if not 0 <= reorder_level < par_level:
        raise DomainError(
            _("The low mark must be below the number of packs when full."), field="reorder_level"
        )
    if MedicineBoxItem.objects.filter(box=box, product=product).exists():
        raise Conflict(_("This box already carries %(product)s.") % {"product": product.name})
    return MedicineBoxItem.objects.create(
        box=box, product=product, par_level=par_level, reorder_level=reorder_level
    )


@transaction.atomic
def medicine_box_restock(
    *, item_id: int, actor: Any = None, quantity: int | None = None
) -> BoxRestock:
    """A restocking round at the box: fills the item up to its par level (or by `quantity`
    packs) from the pharmacy's lots, earliest expiry first among those not near expiry, and
    takes lots near or past expiry back to the pharmacy. Every pack moved is recorded by lot on
    both sides (the pharmacy's stock ledger and the box's). Closes the item's open restock tasks.
    """
    item = (
        MedicineBoxItem.objects.select_for_update(of=("self",))
        .select_related("box")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise NotFound(_("No such medicine box item."))
    box = item.box
    product = (
        Product.objects.select_for_update(of=("self",))
        .select_related("drug")
        .get(pk=item.product_id)
    )
    check_box_product(product)
    if quantity is not None and (
        isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1
    ):
        raise DomainError(_("Restock at least one pack."), field="quantity")
    today, horizon = timezone.localdate(), near_expiry_horizon()
    lots = list(
        MedicineBoxLot.objects.select_for_update(of=("self",))
        .select_related("batch")
        .filter(item=item)
        .order_by("batch__expiry_date", "pk")
    )
    fresh = sum(lot.quantity for lot in lots if lot.batch.expiry_date > horizon)
    wanted = quantity if quantity is not None else max(item.par_level - fresh, 0)
    wanted = min(wanted, product.stock_available)
    who = acting_user(actor)
    placed = 0
    if wanted:
        batches = list(
            Batch.objects.select_for_update()
            .filter(product=product, is_expired=False, expiry_date__gt=horizon, quantity__gt=0)
            .order_by("expiry_date", "pk")
        )
        by_batch = {lot.batch_id: lot for lot in lots}
        for batch in batches:
            take = min(batch.quantity, wanted - placed)
            if take == 0:
                break
            batch.quantity -= take
            batch.save(update_fields=["quantity"])
            lot = by_batch.get(batch.pk)
            if lot is None:
                lot = MedicineBoxLot.objects.create(item=item, batch=batch)
                lots.append(lot)
                by_batch[batch.pk] = lot
            lot.quantity += take
            lot.quantity_placed += take
            lot.save(update_fields=["quantity", "quantity_placed", "placed_at"])
            StockMovement.objects.create(
                product=product,
                batch=batch,
                kind=StockMovement.Kind.TO_BOX,
                quantity=-take,
                note=f"box {box.code}",
                actor=who,
            )
            MedicineBoxMovement.objects.create(
                box=box, lot=lot, kind=BoxMove.STOCKED, quantity=take, actor=who
            )
            placed += take
        if placed:
            moved = Product.objects.filter(
                pk=product.pk, stock_on_hand__gte=F("stock_reserved") + placed
            ).update(stock_on_hand=F("stock_on_hand") - placed)
            if not moved:  # the product row is locked: only a drifted counter gets here
                raise Conflict(_("The pharmacy's stock count is off; count the lots first."))
    withdrawn = _withdraw_stale_lots(item=item, lots=lots, today=today, horizon=horizon, actor=who)
    if not placed and not withdrawn:
        raise Conflict(
            _(
                "Nothing to restock: the box is full, or the pharmacy has no fresh lot "
                "of %(product)s."
            )
            % {"product": product.name},
            code="nothing_to_restock",
        )
    for task in Task.objects.select_for_update().filter(item=item, status=Task.Status.OPEN):
        task.closed_at = timezone.now()
        status_change(
            task,
            Task.Status.DONE,
            actor=who,
            note=f"placed {placed}, withdrew {withdrawn}",
            fields=("closed_at",),
        )
    return BoxRestock(item=item, placed=placed, withdrawn=withdrawn)


def _withdraw_stale_lots(
    *,
    item: MedicineBoxItem,
    lots: list[MedicineBoxLot],
    today: dt.date,
    horizon: dt.date,
    actor: Any,
) -> int:
    """Takes lots past or near expiry back to their pharmacy batch, keeping enough unexpired
    packs for the item's unpaid orders (they were promised those packs)."""
    keep = item.reserved
    unexpired = sum(lot.quantity for lot in lots if lot.batch.expiry_date >= today)
    spare = max(unexpired - keep, 0)
    back_on_hand = 0
    withdrawn = 0
    for lot in lots:
        batch = lot.batch
        if not lot.quantity or batch.expiry_date > horizon:
            continue
        take = lot.quantity if batch.expiry_date < today else min(lot.quantity, spare)
        if take == 0:
            continue
        if batch.expiry_date >= today:
            spare -= take
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        locked.quantity += take
        locked.save(update_fields=["quantity"])
        if not locked.is_expired:
            back_on_hand += take
        lot.quantity -= take
        lot.save(update_fields=["quantity", "placed_at"])
        StockMovement.objects.create(
            product_id=item.product_id,
            batch=locked,
            kind=StockMovement.Kind.FROM_BOX,
            quantity=take,
            note=f"box {item.box.code}",
            actor=actor,
        )
        MedicineBoxMovement.objects.create(
            box_id=item.box_id, lot=lot, kind=BoxMove.WITHDRAWN, quantity=-take, actor=actor
        )
        withdrawn += take
    if back_on_hand:
        Product.objects.filter(pk=item.product_id).update(
            stock_on_hand=F("stock_on_hand") + back_on_hand
        )
    return withdrawn


# --- selling -------------------------------------------------------------------------------


def medicine_box_order_create(
    *, account: Any, box_code: str, product_id: int, quantity: int, patient_id: int
) -> Order:
    """A buyer at the box picks a product: an order waiting for payment, collected at the box
    (no delivery, no shipping fee), its packs held on the box until it is paid or expires."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise DomainError(_("Choose at least one pack."), field="quantity")
    box = MedicineBox.objects.filter(code=box_code, is_active=True).first()
    if box is None:
        raise NotFound(_("No such medicine box."))
    patient = patient_profile_get(account=account, profile_id=patient_id, include_archived=False)
    if not MedicineBoxItem.objects.filter(box=box, product_id=product_id, is_active=True).exists():
        raise DomainError(_("This box does not carry that product."), field="product")
    return _box_checkout(
        account=account, box=box, product_id=product_id, quantity=quantity, patient=patient
    )


@transaction.atomic
def _box_checkout(
    *, account: Any, box: MedicineBox, product_id: int, quantity: int, patient: Any
) -> Order:
    item = (
        MedicineBoxItem.objects.select_for_update(of=("self",))
        .select_related("product", "product__drug")
        .get(box=box, product_id=product_id)
    )
    product = item.product
    check_box_product(product)
    check_purchase_limits([(product, quantity)])
    sellable = _sellable_in_box(item)
    if quantity > sellable:
        raise Conflict(
            _("Only %(available)s of %(product)s left in this box.")
            % {"available": max(sellable, 0), "product": product.name},
            field="quantity",
            code="out_of_stock",
        )
    total = product.price * quantity
    order = Order.objects.create(
        number=order_number_new(),
        account=account,
        delivery_method=Order.DeliveryMethod.BOX,
        medicine_box=box,
        recipient_name=patient.real_name[:50],
        recipient_phone=str(patient.phone or getattr(account, "phone", "") or "")[:20],
        city=box.city,
        address=f"{box.partner} · {box.location}"[:200],
        items_total=total,
        shipping_fee=ZERO,
        gross_total=total,
        patient_due=total,
        expires_at=timezone.now() + figure("BOX_PAYMENT_WINDOW"),
    )
    line = OrderLine.objects.create(
        order=order,
        product=product,
        patient=patient,
        product_name=f"{product.name_zh} {product.pack_description}".strip()[:200],
        is_prescription=False,
        is_returnable=product.is_returnable,
        quantity=quantity,
        unit_price=product.price,
        line_total=total,
    )
    line.patient = patient
    event = OrderEvent.objects.create(
        order=order, to_status=Order.Status.PENDING_PAYMENT, actor=account, note=f"box {box.code}"
    )
    MedicineBoxItem.objects.filter(pk=item.pk).update(reserved=F("reserved") + quantity)
    return order_detail_of_new(order=order, lines=[line], events=[event])


def _box_items_locked(order: Order) -> dict[int, MedicineBoxItem]:
    product_ids = sorted(set(order.lines.values_list("product_id", flat=True)))
    items = (
        MedicineBoxItem.objects.select_for_update()
        .filter(box_id=order.medicine_box_id, product_id__in=product_ids)
        .order_by("pk")
    )
    return {item.product_id: item for item in items}


def medicine_box_order_collect(*, order: Order, actor: Any = None) -> None:
    """The (locked, just paid) box order is handed over: its packs come out of the box's lots,
    earliest expiry first and never an expired lot, each recorded against the buyer's line.
    Raises Conflict `short_pick` when the box's unexpired lots no longer cover it (lots expired
    while the order waited); the caller refunds it then."""
    items = _box_items_locked(order)
    today = timezone.localdate()
    who = acting_user(actor)
    for line in order.lines.all().order_by("product_id", "pk"):
        item = items[line.product_id]
        lots = list(
            MedicineBoxLot.objects.select_for_update(of=("self",))
            .select_related("batch")
            .filter(item=item, quantity__gt=0, batch__expiry_date__gte=today)
            .order_by("batch__expiry_date", "pk")
        )
        needed = line.quantity
        for lot in lots:
            take = min(lot.quantity, needed)
            if take == 0:
                break
            lot.quantity -= take
            lot.save(update_fields=["quantity"])
            OrderLinePick.objects.create(line=line, batch=lot.batch, quantity=take, picked_by=who)
            MedicineBoxMovement.objects.create(
                box_id=item.box_id,
                lot=lot,
                kind=BoxMove.SOLD,
                quantity=-take,
                order=order,
                actor=who,
            )
            needed -= take
        if needed:
            raise Conflict(
                _("Not enough unexpired packs of %(product)s left in the box.")
                % {"product": line.product_name},
                code="short_pick",
            )
        MedicineBoxItem.objects.filter(pk=item.pk).update(reserved=F("reserved") - line.quantity)
    now = timezone.now()
    order.picked_at, order.delivered_at = now, now
    status_change(
        order,
        Order.Status.DELIVERED,
        actor=actor,
        note="collected from the box",
        fields=("picked_at", "delivered_at"),
    )
    for item in items.values():
        item.refresh_from_db(fields=["reserved"])
        _raise_task_if_low(item)


def medicine_box_stock_release(*, order: Order) -> None:
    """Lets an unpaid (or refused) box order's held packs go (caller holds the order's lock)."""
    items = _box_items_locked(order)
    for product_id, quantity in order.lines.values_list("product_id", "quantity"):
        item = items.get(product_id)
        if item is not None:
            MedicineBoxItem.objects.filter(pk=item.pk, reserved__gte=quantity).update(
                reserved=F("reserved") - quantity
            )


# --- restock tasks -------------------------------------------------------------------------


def _task_raise(item: MedicineBoxItem, reason: str, detail: str) -> MedicineBoxRestockTask | None:
    """Opens a task unless one for the same item and reason is open (the unique constraint
    decides between two scans running at once)."""
    if Task.objects.filter(item=item, reason=reason, status=Task.Status.OPEN).exists():
        return None
    try:
        with transaction.atomic():
            task = Task.objects.create(
                box_id=item.box_id, item=item, reason=reason, detail=detail[:200]
            )
            task.events.create(to_status=Task.Status.OPEN, note=reason)
    except IntegrityError:
        return None
    box = item.box
    notification_send_to_operators(
        kind="pharmacy.box_restock",
        subject=_("Medicine box %(box)s needs a restock: %(product)s")
        % {"box": box.name, "product": item.product.name_zh},
        body=detail[:2000],
        dedupe_key=f"pharmacy.box_restock:{task.pk}",
        link=f"/admin/pharmacy/medicineboxrestocktask/{task.pk}/change/",
    )
    return task


def _raise_task_if_low(item: MedicineBoxItem) -> MedicineBoxRestockTask | None:
    sellable = _sellable_in_box(item)
    if sellable > item.reorder_level:
        return None
    return _task_raise(
        item,
        Task.Reason.LOW_STOCK,
        _("%(left)s packs left (low at %(low)s, full at %(full)s).")
        % {"left": max(sellable, 0), "low": item.reorder_level, "full": item.par_level},
    )


def medicine_boxes_review(*, box_ids: Iterable[int] | None = None) -> int:
    """Periodic: raises a restock task for every item of a selling box that is low, or holds
    packs of a lot expiring within BOX_NEAR_EXPIRY_DAYS (or already expired). Idempotent: an
    open task is not raised twice. Returns the number of tasks raised."""
    horizon = near_expiry_horizon()
    items = MedicineBoxItem.objects.select_related("box", "product").filter(
        is_active=True, box__is_active=True
    )
    if box_ids is not None:
        items = items.filter(box_id__in=list(box_ids))
    stale = {
        row["item_id"]: row
        for row in MedicineBoxLot.objects.filter(
            item__in=items, quantity__gt=0, batch__expiry_date__lte=horizon
        )
        .values("item_id")
        .annotate(packs=Sum("quantity"))
        .order_by()
    }
    first_expiry = {
        lot.item_id: lot
        for lot in MedicineBoxLot.objects.select_related("batch")
        .filter(item_id__in=list(stale), quantity__gt=0, batch__expiry_date__lte=horizon)
        .order_by("-batch__expiry_date")
    }
    raised = 0
    for item in items.order_by("pk"):
        with transaction.atomic():
            if _raise_task_if_low(item) is not None:
                raised += 1
            if item.pk in stale:
                lot = first_expiry[item.pk]
                detail = _("%(packs)s packs expire by %(date)s (lot %(lot)s).") % {
                    "packs": stale[item.pk]["packs"],
                    "date": f"{lot.batch.expiry_date:%Y-%m-%d}",
                    "lot": lot.batch.lot_number,
                }
                if _task_raise(item, Task.Reason.NEAR_EXPIRY, detail) is not None:
                    raised += 1
    return raised


@transaction.atomic
def medicine_box_restock_task_cancel(
    *, task_id: int, actor: Any, note: str = ""
) -> MedicineBoxRestockTask:
    task = Task.objects.select_for_update().filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("No such restock task."))
    if task.status == Task.Status.CANCELLED:
        return task
    task.closed_at = timezone.now()
    status_change(task, Task.Status.CANCELLED, actor=actor, note=note, fields=("closed_at",))
    return task


def medicine_box_restock_task_do(*, task_id: int, actor: Any) -> BoxRestock:
    """The restock a task asks for (the admin's action)."""
    task = Task.objects.filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("No such restock task."))
    if task.status != Task.Status.OPEN:
        raise Conflict(_("This restock task is already closed."), code="invalid_transition")
    return medicine_box_restock(item_id=task.item_id, actor=actor)
