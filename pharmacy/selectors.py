"""Reads of pharmacy, with the joins each caller needs (query counts pinned in tests)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from hospital.prescriptions.models import PrescriptionItem
from hospital.prescriptions.services.supply import (
    prescription_items_purchasable,
    viewer_holds_prescription_for_drug,
)
from pharmacy.models import (
    CartLine,
    Category,
    DispensedPack,
    MedicineBox,
    MedicineBoxItem,
    MedicineBoxLot,
    Order,
    OrderEvent,
    OrderLine,
    OrderLinePick,
    Product,
    Shipment,
)
from pharmacy.search import query_terms

# The columns a catalog list row needs, read with .values(): no model instances to build.
PRODUCT_LIST_FIELDS = (
    "id",
    "sku",
    "kind",
    "name_zh",
    "name_en",
    "brand",
    "pack_description",
    "price",
    "image",
    "is_prescription",
    "purchase_limit",
    "category_id",
)


def category_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("position", "id")


def category_tree() -> list[Category]:
    """Active categories in tree order: each parent followed by its children, each with a
    `depth` (0 for a top-level category) for indenting."""
    categories = list(category_list())
    children: dict[int | None, list[Category]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    ordered: list[Category] = []

    def visit(parent_id: int | None, depth: int) -> None:
        for category in children.get(parent_id, []):
            category.depth = depth  # type: ignore[attr-defined]
            ordered.append(category)
            visit(category.pk, depth + 1)

    visit(None, 0)
    return ordered


def _category_ids(category: str) -> list[int]:
    """The category (by id or slug) and its descendants; categories are few, read them once."""
    rows = list(Category.objects.filter(is_active=True).values_list("id", "slug", "parent_id"))
    root = next((r[0] for r in rows if str(r[0]) == category or r[1] == category), None)
    if root is None:
        return []
    chosen, frontier = {root}, {root}
    while frontier:
        frontier = {r[0] for r in rows if r[2] in frontier} - chosen
        chosen |= frontier
    return sorted(chosen)


def product_list(*, q: str = "", category: str = "", rx: bool | None = None) -> QuerySet:
    """Listed products as dicts of PRODUCT_LIST_FIELDS plus `stock_available`, newest last."""
    products = Product.objects.listed()
    for term in query_terms(q):
        products = products.filter(search_text__contains=term)
    if category:
        products = products.filter(category_id__in=_category_ids(category))
    if rx is not None:
        products = products.filter(is_prescription=rx)
    return products.values(
        *PRODUCT_LIST_FIELDS,
        stock_available=F("stock_on_hand") - F("stock_reserved"),
        illustration=Coalesce(
            NullIf(F("category__illustration"), Value("")),
            NullIf(F("category__parent__illustration"), Value("")),
            Value(""),
        ),
    ).order_by("id")


def product_get(*, product_id: int) -> Product:
    product = (
        Product.objects.listed()
        .select_related("category__parent", "drug")
        .prefetch_related("images")
        .filter(pk=product_id)
        .first()
    )
    if product is None:
        raise NotFound(_("No such product."))
    return product


def product_details_visible(*, product: Product, viewer: Any) -> bool:
    """Leaflet, indications and dosage of a prescription product are shown only to a viewer who
    holds an approved prescription covering its drug."""
    if not product.is_prescription:
        return True
    if product.drug_id is None:
        return False
    return viewer_holds_prescription_for_drug(account=viewer, drug_id=product.drug_id)


def purchasable_items_for_product(*, account: Any, product: Product) -> list[PrescriptionItem]:
    """The viewer's approved prescription items this product can be bought against."""
    if not product.is_prescription or product.drug_id is None:
        return []
    return list(prescription_items_purchasable(account=account).filter(drug_id=product.drug_id))


def cart_lines(*, account: Any) -> list[CartLine]:
    return list(
        CartLine.objects.filter(account_id=account.pk)
        .select_related("product", "patient", "prescription_item__prescription")
        .order_by("pk")
    )


def cart_total(lines: list[CartLine]) -> Decimal:
    """What the cart's lines cost at today's prices (before shipping), as cart_lines reads them."""
    return sum((line.product.price * line.quantity for line in lines), Decimal("0.00"))


def order_list(*, account: Any, status: str = "") -> QuerySet[Order]:
    orders = Order.objects.filter(account_id=account.pk)
    if status:
        orders = orders.filter(status=status)
    return orders.order_by("-id")


def order_check_own(*, account: Any, order_id: int) -> None:
    """Another account's order is a 404, checked before a request's body is read."""
    if not Order.objects.filter(pk=order_id, account_id=account.pk).exists():
        raise NotFound(_("No such order."))


def cart_line_check_own(*, account: Any, line_id: int) -> None:
    if not CartLine.objects.filter(pk=line_id, account_id=account.pk).exists():
        raise NotFound(_("No such cart line."))


def _order_detail_queryset() -> QuerySet[Order]:
    return Order.objects.select_related("shipment", "payment", "medicine_box").prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.select_related(
                "patient", "prescription_item__prescription"
            ).prefetch_related("picks__batch", "packs"),
        ),
        "events",
    )


def order_get(*, account: Any, order_id: int) -> Order:
    order = _order_detail_queryset().filter(pk=order_id, account_id=account.pk).first()
    if order is None:
        raise NotFound(_("No such order."))
    return order


def _as_fetched(queryset: QuerySet, rows: list[Any]) -> QuerySet:
    # What prefetch_related stores for a relation: the queryset with its rows already in it.
    # These private attributes are what Django itself reads; the stubs do not declare them.
    queryset._result_cache = rows
    queryset._prefetch_done = True  # type: ignore[attr-defined]
    return queryset


def order_detail_of_new(*, order: Order, lines: list[OrderLine], events: list[OrderEvent]) -> Order:
    """`order` as order_get returns it, for an order just written with these lines and events,
    without reading it back. A new order has no shipment yet and its lines no picks or packs;
    the lines must carry their patient and prescription item, as checkout's do."""
    for line in lines:
        line._prefetched_objects_cache = {  # type: ignore[attr-defined]
            "picks": OrderLinePick.objects.none(),
            "packs": DispensedPack.objects.none(),
        }
    order._prefetched_objects_cache = {  # type: ignore[attr-defined]
        "lines": _as_fetched(OrderLine.objects.filter(order=order), sorted(lines, key=_pk)),
        "events": _as_fetched(OrderEvent.objects.filter(order=order), list(events)),
    }
    Order.shipment.related.set_cached_value(order, None)  # type: ignore[attr-defined]
    return order


def _pk(row: Any) -> int:
    return int(row.pk)


def order_get_for_staff(*, order_id: int) -> Order:
    order = _order_detail_queryset().filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("No such order."))
    return order


def shipment_for_order(*, account: Any, order_id: int) -> tuple[Order, Shipment | None]:
    order = (
        Order.objects.select_related("shipment").filter(pk=order_id, account_id=account.pk).first()
    )
    if order is None:
        raise NotFound(_("No such order."))
    shipment = getattr(order, "shipment", None)
    if shipment is not None:
        list(shipment.events.all())
    return order, shipment


def dispensing_queue() -> QuerySet[Order]:
    """Paid prescription orders waiting for a pharmacist, oldest payment first, with their
    prescriptions."""
    return (
        Order.objects.filter(status=Order.Status.AWAITING_DISPENSING)
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related(
                    "patient",
                    "prescription_item__drug",
                    "prescription_item__prescription__doctor",
                ),
            )
        )
        .order_by("paid_at", "id")
    )


# --- medicine boxes ----------------------------------------------------------------------------


def medicine_box_get(*, code: str) -> MedicineBox:
    """A selling box by its printed code, with the products it carries and what each has left
    to sell (`sellable`: packs of unexpired lots not held by unpaid orders), in two queries."""
    box = MedicineBox.objects.filter(code=code, is_active=True).first()
    if box is None:
        raise NotFound(_("No such medicine box."))
    today = timezone.localdate()
    items = (
        MedicineBoxItem.objects.filter(box=box, is_active=True, product__is_active=True)
        .select_related("product", "product__category__parent")
        .annotate(
            on_hand=Coalesce(
                Sum("lots__quantity", filter=Q(lots__batch__expiry_date__gte=today)), 0
            )
        )
        .annotate(sellable=F("on_hand") - F("reserved"))
        .order_by("product__name_zh", "pk")
    )
    box.items_for_sale = [item for item in items if not item.product.is_prescription]  # type: ignore[attr-defined]
    return box


def lot_recall_locations(*, lot_number: str) -> list[MedicineBoxLot]:
    """A recall of a lot: every medicine box still holding packs of it."""
    return list(
        MedicineBoxLot.objects.select_related("item__box", "item__product", "batch")
        .filter(batch__lot_number=lot_number, quantity__gt=0)
        .order_by("item__box_id", "pk")
    )
