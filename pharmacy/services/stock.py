"""Stock: receiving batches, reserving for orders, picking earliest-expiry-first, writing off.

Lock order, everywhere: product rows in pk order, then their batches. A checkout takes its
product rows through one conditional UPDATE that locks them in pk order, so concurrent
checkouts of overlapping carts wait on each other in one direction only and never deadlock;
the UPDATE's condition is re-checked by PostgreSQL against the row as the previous buyer left
it, so the last units go to exactly as many buyers as there are units.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.actors import acting_user
from core.exceptions import Conflict, DomainError, NotFound
from notifications.kinds import kind_register
from notifications.services import notification_send_to_operators
from pharmacy.models import (
    Batch,
    DispensedPack,
    Order,
    OrderLinePick,
    Product,
    StockMovement,
)
from pharmacy.rules import figure

logger = logging.getLogger(__name__)

kind_register(
    "pharmacy.batch_near_expiry", gettext_lazy("Stock batch near its expiry"), optional=False
)
M = StockMovement.Kind


@transaction.atomic
def batch_receive(
    *,
    product_id: int,
    lot_number: str,
    expiry_date: dt.date,
    quantity: int,
    manufactured_on: dt.date | None = None,
    actor: Any = None,
) -> Batch:
    """A delivery from the supplier: a new lot on the shelf. An already expired lot is refused."""
    if quantity <= 0:
        raise DomainError(_("The quantity received must be positive."), field="quantity")
    if expiry_date < timezone.localdate():
        raise DomainError(_("This lot has already expired."), field="expiry_date")
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("No such product."), field="product")
    if Batch.objects.filter(product=product, lot_number=lot_number).exists():
        raise Conflict(_("This lot was already received."), code="duplicate_lot")
    batch = Batch.objects.create(
        product=product,
        lot_number=lot_number,
        manufactured_on=manufactured_on,
        expiry_date=expiry_date,
        quantity_received=quantity,
        quantity=quantity,
    )
    Product.objects.filter(pk=product.pk).update(stock_on_hand=F("stock_on_hand") + quantity)
    StockMovement.objects.create(
        product=product, batch=batch, kind=M.RECEIVED, quantity=quantity, actor=acting_user(actor)
    )
    return batch


@transaction.atomic
def batch_adjust(*, batch_id: int, quantity: int, reason: str, actor: Any) -> Batch:
    """A stock count found `quantity` packs in the lot (damage, loss, a miscount)."""
    if not reason.strip():
        raise DomainError(_("Say why the count changed."), field="reason")
    product_id = Batch.objects.filter(pk=batch_id).values_list("product_id", flat=True).first()
    if product_id is None:
        raise NotFound(_("No such batch."))
    Product.objects.select_for_update().get(pk=product_id)
    batch = Batch.objects.select_for_update().get(pk=batch_id)
    if quantity < 0 or quantity > batch.quantity_received:
        raise DomainError(
            _("The count must be between 0 and the %(received)s packs received.")
            % {"received": batch.quantity_received},
            field="quantity",
        )
    delta = quantity - batch.quantity
    if delta == 0:
        return batch
    batch.quantity = quantity
    batch.save(update_fields=["quantity"])
    if not batch.is_expired:
        Product.objects.filter(pk=product_id).update(stock_on_hand=F("stock_on_hand") + delta)
    StockMovement.objects.create(
        product_id=product_id,
        batch=batch,
        kind=M.ADJUSTED,
        quantity=delta,
        note=reason[:200],
        actor=acting_user(actor),
    )
    return batch


def batches_expire_due(*, product_ids: Iterable[int] | QuerySet | None = None) -> int:
    """Writes off every lot past its expiry date: its packs stop counting as stock at once (it
    is never sold or picked). Idempotent; runs in the caller's transaction if there is one."""
    today = timezone.localdate()
    due = Batch.objects.filter(is_expired=False, expiry_date__lt=today)
    if product_ids is not None:
        # A queryset goes in as a subquery: one query rather than two on every checkout.
        due = due.filter(
            product_id__in=product_ids if isinstance(product_ids, QuerySet) else list(product_ids)
        )
    due_products = sorted(set(due.values_list("product_id", flat=True)))
    written_off = 0
    for product_id in due_products:
        with transaction.atomic():
            Product.objects.select_for_update().get(pk=product_id)
            batches = list(
                Batch.objects.select_for_update()
                .filter(product_id=product_id, is_expired=False, expiry_date__lt=today)
                .order_by("pk")
            )
            total = sum(b.quantity for b in batches)
            for batch in batches:
                batch.is_expired = True
                batch.save(update_fields=["is_expired"])
                if batch.quantity:
                    StockMovement.objects.create(
                        product_id=product_id,
                        batch=batch,
                        kind=M.EXPIRED,
                        quantity=-batch.quantity,
                        note=f"expired {batch.expiry_date:%Y-%m-%d}",
                    )
            if total:
                Product.objects.filter(pk=product_id).update(
                    stock_on_hand=F("stock_on_hand") - total
                )
            written_off += len(batches)
    return written_off


def batches_flag_near_expiry() -> int:
    """Tells operators, once per lot, about lots with stock that expire within NEAR_EXPIRY_DAYS."""
    today = timezone.localdate()
    horizon = today + dt.timedelta(days=figure("NEAR_EXPIRY_DAYS"))
    batches = list(
        Batch.objects.select_related("product")
        .filter(
            is_expired=False,
            near_expiry_flagged_at__isnull=True,
            quantity__gt=0,
            expiry_date__lte=horizon,
        )
        .order_by("expiry_date", "pk")[:500]
    )
    for batch in batches:
        days = (batch.expiry_date - today).days
        notification_send_to_operators(
            kind="pharmacy.batch_near_expiry",
            subject=_("Lot %(lot)s of %(product)s expires in %(days)s days")
            % {"lot": batch.lot_number, "product": batch.product.name_zh, "days": days},
            body=_("%(quantity)s packs left; expiry date %(date)s.")
            % {"quantity": batch.quantity, "date": f"{batch.expiry_date:%Y-%m-%d}"},
            dedupe_key=f"pharmacy.batch_near_expiry:{batch.pk}",
            link=f"/admin/pharmacy/batch/{batch.pk}/change/",
        )
    if batches:
        Batch.objects.filter(pk__in=[b.pk for b in batches]).update(
            near_expiry_flagged_at=timezone.now()
        )
    return len(batches)


def stock_reserve(*, quantities: Mapping[int, int], order: Order) -> None:
    """Holds packs of each product for the order, inside the caller's transaction.

    One UPDATE takes every product of the order, whatever the number of lines: its subquery
    locks the product rows in pk order (FOR UPDATE after ORDER BY locks rows as they are
    sorted), so overlapping carts wait on each other in one direction only and never
    deadlock, and PostgreSQL re-checks each row's stock condition against the row as the
    previous buyer left it.

    Raises Conflict `out_of_stock` (naming the product) when fewer are sellable; the caller's
    rollback then releases what this call already took (and its movement rows).
    """
    # The movements go first: from the UPDATE on, other buyers of the products wait.
    StockMovement.objects.bulk_create(
        StockMovement(product_id=pid, order=order, kind=M.RESERVED, quantity=q)
        for pid, q in sorted(quantities.items())
    )
    wanted = Case(
        *(When(pk=pid, then=Value(q)) for pid, q in sorted(quantities.items())),
        output_field=IntegerField(),
    )
    locked_in_pk_order = (
        Product.objects.select_for_update()
        .filter(pk__in=sorted(quantities))
        .order_by("pk")
        .values("pk")
    )
    # The stamp also tells, should a product fall short, which rows this statement took.
    stamp = timezone.now()
    taken = Product.objects.filter(
        pk__in=Subquery(locked_in_pk_order), stock_on_hand__gte=F("stock_reserved") + wanted
    ).update(stock_reserved=F("stock_reserved") + wanted, updated_at=stamp)
    if taken == len(quantities):
        return
    # Name the first product that fell short; the caller's rollback undoes the others.
    short = (
        Product.objects.filter(pk__in=sorted(quantities))
        .exclude(updated_at=stamp)
        .order_by("pk")
        .only("name_zh", "name_en", "stock_on_hand", "stock_reserved")
        .first()
    )
    raise Conflict(
        _("Only %(available)s of %(product)s left in stock.")
        % {
            "available": short.stock_available if short else 0,
            "product": short.name if short else "",
        },
        field="quantity",
        code="out_of_stock",
    )


def stock_release(*, quantities: Mapping[int, int], order: Order, note: str = "") -> None:
    """Gives back an order's unpicked reservations (caller holds the order's lock)."""
    for product_id in sorted(quantities):
        quantity = quantities[product_id]
        Product.objects.filter(pk=product_id, stock_reserved__gte=quantity).update(
            stock_reserved=F("stock_reserved") - quantity
        )
    StockMovement.objects.bulk_create(
        StockMovement(product_id=pid, order=order, kind=M.RELEASED, quantity=q, note=note[:200])
        for pid, q in sorted(quantities.items())
    )


def order_quantities(order: Order) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    for product_id, quantity in order.lines.values_list("product_id", "quantity"):
        totals[product_id] += quantity
    return dict(totals)


def order_pick(*, order: Order, actor: Any = None) -> list[OrderLinePick]:
    """Picks the (locked) order's lines from their lots, earliest expiry first, never an expired
    lot; records which lot went to which line. Turns the reservation into a shipment-bound
    withdrawal. Raises Conflict `short_pick` when the unexpired lots cannot cover a line."""
    if order.picked_at is not None:
        return list(OrderLinePick.objects.filter(line__order=order))
    lines = list(order.lines.all().order_by("product_id", "pk"))
    product_ids = sorted({line.product_id for line in lines})
    list(Product.objects.select_for_update().filter(pk__in=product_ids).order_by("pk"))
    today = timezone.localdate()
    picks: list[OrderLinePick] = []
    movements: list[StockMovement] = []
    taken: dict[int, int] = defaultdict(int)
    for product_id in product_ids:
        product_lines = [line for line in lines if line.product_id == product_id]
        batches = list(
            Batch.objects.select_for_update()
            .filter(product_id=product_id, is_expired=False, expiry_date__gte=today, quantity__gt=0)
            .order_by("expiry_date", "pk")
        )
        for line in product_lines:
            needed = line.quantity
            for batch in batches:
                if needed == 0:
                    break
                quantity = min(batch.quantity, needed)
                if quantity == 0:
                    continue
                batch.quantity -= quantity
                needed -= quantity
                picks.append(
                    OrderLinePick(
                        line=line, batch=batch, quantity=quantity, picked_by=acting_user(actor)
                    )
                )
                movements.append(
                    StockMovement(
                        product_id=product_id,
                        batch=batch,
                        order=order,
                        kind=M.PICKED,
                        quantity=-quantity,
                        actor=acting_user(actor),
                    )
                )
            if needed:
                raise Conflict(
                    _("Not enough unexpired stock of %(product)s to pick this order.")
                    % {"product": line.product_name},
                    code="short_pick",
                )
            taken[product_id] += line.quantity
        for batch in batches:
            batch.save(update_fields=["quantity"])
    for product_id, quantity in taken.items():
        Product.objects.filter(pk=product_id).update(
            stock_on_hand=F("stock_on_hand") - quantity,
            stock_reserved=F("stock_reserved") - quantity,
        )
    OrderLinePick.objects.bulk_create(picks)
    StockMovement.objects.bulk_create(movements)
    order.picked_at = timezone.now()
    order.save(update_fields=["picked_at", "updated_at"])
    return picks


TRACEABILITY_CODE = re.compile(r"\d{20}")


def dispensed_packs_record(
    *, order: Order, codes: Mapping[int, Iterable[str]], actor: Any = None
) -> list[DispensedPack]:
    """Records the traceability code of every pack handed out for the (locked) order: one
    code per pack of every prescription line; other lines may be scanned too. A malformed or
    missing code is the pharmacist's to correct (400); a code already sold is refused (409),
    because the same pack cannot be sold twice."""
    lines = {line.pk: line for line in order.lines.all()}
    unknown = sorted(set(codes) - set(lines))
    if unknown:
        raise DomainError(
            _("Line %(line)s is not part of this order.") % {"line": unknown[0]},
            field="traceability_codes",
        )
    packs: list[DispensedPack] = []
    seen: set[str] = set()
    for line in lines.values():
        scanned = [code.strip() for code in codes.get(line.pk, ()) if code.strip()]
        if not scanned and not line.is_prescription:
            continue
        field = f"traceability_codes.{line.pk}"
        if len(scanned) != line.quantity:
            raise DomainError(
                _("Scan one traceability code per pack of %(product)s: %(wanted)s, not %(got)s.")
                % {"product": line.product_name, "wanted": line.quantity, "got": len(scanned)},
                field=field,
            )
        for code in scanned:
            if not TRACEABILITY_CODE.fullmatch(code):
                raise DomainError(
                    _("%(code)s is not a traceability code: it has 20 digits.") % {"code": code},
                    field=field,
                )
            if code in seen:
                raise DomainError(_("%(code)s was scanned twice.") % {"code": code}, field=field)
            seen.add(code)
            packs.append(
                DispensedPack(line=line, traceability_code=code, recorded_by=acting_user(actor))
            )
    sold = sorted(
        DispensedPack.objects.filter(traceability_code__in=seen).values_list(
            "traceability_code", flat=True
        )
    )
    if sold:
        raise Conflict(
            _("The pack %(code)s has already been sold.") % {"code": sold[0]},
            code="traceability_code_sold",
        )
    try:
        with transaction.atomic():
            return DispensedPack.objects.bulk_create(packs)
    except IntegrityError as error:  # sold at this moment by another pharmacist
        raise Conflict(
            _("One of these packs has just been sold by another order."),
            code="traceability_code_sold",
        ) from error


def order_restock(*, order: Order, actor: Any = None) -> None:
    """Puts the picked packs of a cancelled, unshipped order back into their lots; their
    traceability codes may be sold again."""
    DispensedPack.objects.filter(line__order=order).delete()
    picks = list(
        OrderLinePick.objects.filter(line__order=order)
        .select_related("line")
        .order_by("line__product_id", "batch_id")
    )
    product_ids = sorted({p.line.product_id for p in picks})
    list(Product.objects.select_for_update().filter(pk__in=product_ids).order_by("pk"))
    batches = {
        b.pk: b
        for b in Batch.objects.select_for_update()
        .filter(pk__in={p.batch_id for p in picks})
        .order_by("pk")
    }
    back_on_hand: dict[int, int] = defaultdict(int)
    for pick in picks:
        batch = batches[pick.batch_id]
        batch.quantity += pick.quantity
        if not batch.is_expired:
            back_on_hand[batch.product_id] += pick.quantity
        StockMovement.objects.create(
            product_id=batch.product_id,
            batch=batch,
            order=order,
            kind=M.RESTOCKED,
            quantity=pick.quantity,
            actor=acting_user(actor),
        )
    for batch in batches.values():
        batch.save(update_fields=["quantity"])
    for product_id, quantity in back_on_hand.items():
        Product.objects.filter(pk=product_id).update(stock_on_hand=F("stock_on_hand") + quantity)
