"""Admin for the shop: catalog, batches and stock, orders. Stock and order changes go through
the services (actions), so the admin keeps the same invariants as the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.exceptions import DomainError
from pharmacy import services
from pharmacy.models import (
    Batch,
    Category,
    DispensedPack,
    MedicineBox,
    MedicineBoxItem,
    MedicineBoxLot,
    MedicineBoxMovement,
    MedicineBoxRestockTask,
    MedicineBoxRestockTaskEvent,
    Order,
    OrderEvent,
    OrderLine,
    OrderLinePick,
    Product,
    ProductImage,
    Shipment,
    StockMovement,
    TrackingEvent,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "name_en", "slug", "parent", "illustration", "position", "is_active"]
    list_filter = ["is_active", "parent"]
    search_fields = ["name_zh", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0


class BatchInline(admin.TabularInline):
    model = Batch
    extra = 0
    fields = readonly_fields = (
        "lot_number",
        "expiry_date",
        "quantity_received",
        "quantity",
        "is_expired",
    )
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StockFilter(admin.SimpleListFilter):
    title = _("stock")
    parameter_name = "stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("out", _("Out of stock")), ("low", _("10 or fewer"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        available = F("stock_on_hand") - F("stock_reserved")
        if self.value() == "out":
            return queryset.alias(available=available).filter(available__lte=0)
        if self.value() == "low":
            return queryset.alias(available=available).filter(available__lte=10)
        return queryset


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = [
        "sku",
        "name_zh",
        "brand",
        "category",
        "price",
        "is_prescription",
        "stock_on_hand",
        "stock_reserved",
        "is_active",
    ]
    list_filter = ["kind", "is_prescription", "is_active", StockFilter, "category"]
    search_fields = ["sku", "name_zh", "name_en", "brand", "approval_number", "search_text"]
    list_select_related = ["category"]
    autocomplete_fields = ["drug"]
    readonly_fields = ["is_prescription", "stock_on_hand", "stock_reserved", "search_text"]
    inlines = [ProductImageInline, BatchInline]
    actions = ["take_off_sale", "put_on_sale"]

    @admin.action(description=_("Take off sale"))
    def take_off_sale(self, request: HttpRequest, queryset: QuerySet) -> None:
        for product in queryset:
            product.is_active = False
            product.save(update_fields=["is_active", "updated_at"])

    @admin.action(description=_("Put on sale"))
    def put_on_sale(self, request: HttpRequest, queryset: QuerySet) -> None:
        for product in queryset:
            product.is_active = True
            product.save(update_fields=["is_active", "updated_at"])


@admin.register(Batch)
class BatchAdmin(SimpleHistoryAdmin):
    list_display = [
        "lot_number",
        "product",
        "expiry_date",
        "quantity",
        "quantity_received",
        "is_expired",
    ]
    list_filter = ["is_expired", "expiry_date"]
    search_fields = ["lot_number", "product__name_zh", "product__sku"]
    list_select_related = ["product"]
    autocomplete_fields = ["product"]
    date_hierarchy = "expiry_date"
    actions = ["write_off_expired"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Quantities change only through receiving (add) and the stock services, so the
        # product's counters always agree with its lots.
        if obj is None:
            return ["quantity", "is_expired", "near_expiry_flagged_at"]
        return [
            "product",
            "lot_number",
            "expiry_date",
            "quantity_received",
            "quantity",
            "is_expired",
            "near_expiry_flagged_at",
        ]

    def save_model(self, request: HttpRequest, obj: Batch, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            received = services.batch_receive(
                product_id=obj.product_id,
                lot_number=obj.lot_number,
                expiry_date=obj.expiry_date,
                quantity=obj.quantity_received,
                manufactured_on=obj.manufactured_on,
                actor=request.user,
            )
        except DomainError as error:
            messages.error(request, error.message)
            return
        obj.pk = received.pk

    @admin.action(description=_("Write off lots past their expiry date"))
    def write_off_expired(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = services.batches_expire_due(
            product_ids=queryset.values_list("product_id", flat=True)
        )
        messages.success(request, _("%(count)s lots written off.") % {"count": count})


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ["created_at", "product", "batch", "kind", "quantity", "order", "actor"]
    list_filter = ["kind"]
    search_fields = ["product__name_zh", "product__sku", "batch__lot_number", "order__number"]
    list_select_related = ["product", "batch", "order", "actor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "product_name",
        "patient",
        "prescription_item",
        "quantity",
        "unit_price",
        "line_total",
        "returned_quantity",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "note")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(SimpleHistoryAdmin):
    list_display = ["number", "account", "status", "patient_due", "delivery_method", "created_at"]
    list_filter = ["status", "delivery_method", "requires_dispensing", "medicine_box", "created_at"]
    search_fields = [
        "number",
        "account__email",
        "recipient_name",
        "recipient_phone",
        "medicine_box__code",
    ]
    list_select_related = ["account"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderEventInline]
    actions = ["cancel_and_refund", "ship_packed"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Order._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Cancel (refund if paid) and give back stock"))
    def cancel_and_refund(self, request: HttpRequest, queryset: QuerySet) -> None:
        for order in queryset:
            try:
                services.order_cancel(
                    order_id=order.pk, actor=request.user, reason="cancelled by an operator"
                )
            except DomainError as error:
                messages.error(request, f"{order.number}: {error.message}")

    @admin.action(description=_("Hand packed orders to the courier"))
    def ship_packed(self, request: HttpRequest, queryset: QuerySet) -> None:
        for order in queryset.filter(status=Order.Status.PACKING):
            if order.picked_at is None:
                services.order_fulfil(order_id=order.pk)
            services.shipment_create(order_id=order.pk)


@admin.register(OrderLinePick)
class OrderLinePickAdmin(admin.ModelAdmin):
    """Traceability: search a lot number to find who received it."""

    list_display = ["picked_at", "batch", "line", "quantity", "picked_by"]
    search_fields = ["batch__lot_number", "line__order__number", "line__patient__real_name"]
    list_select_related = ["batch", "line", "picked_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DispensedPack)
class DispensedPackAdmin(admin.ModelAdmin):
    """Traceability by pack: search a 追溯码 to find the order and the person who received it."""

    list_display = ["recorded_at", "traceability_code", "line", "recorded_by"]
    search_fields = ["=traceability_code", "line__order__number", "line__patient__real_name"]
    list_select_related = ["line", "recorded_by"]
    date_hierarchy = "recorded_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TrackingEventInline(admin.TabularInline):
    model = TrackingEvent
    extra = 0
    can_delete = False
    readonly_fields = ["status", "description", "location", "occurred_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Shipment)
class ShipmentAdmin(SimpleHistoryAdmin):
    list_display = ["tracking_number", "carrier", "order", "status", "eta", "last_polled_at"]
    list_filter = ["status", "carrier"]
    search_fields = ["tracking_number", "order__number"]
    list_select_related = ["order"]
    readonly_fields = ["order", "carrier", "tracking_number", "status", "eta", "last_polled_at"]
    inlines = [TrackingEventInline]
    actions = ["poll_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Ask the courier now"))
    def poll_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        for shipment in queryset:
            services.shipment_poll(shipment_id=shipment.pk)


# --- medicine boxes ----------------------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledgers and traceability rows: written by the services only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _restock_items(request: HttpRequest, item_ids: list[int]) -> None:
    placed = withdrawn = 0
    for item_id in item_ids:
        try:
            done = services.medicine_box_restock(item_id=item_id, actor=request.user)
        except DomainError as error:
            messages.warning(request, error.message)
            continue
        placed, withdrawn = placed + done.placed, withdrawn + done.withdrawn
    messages.success(
        request,
        _("%(placed)s packs placed in boxes, %(withdrawn)s taken back to the pharmacy.")
        % {"placed": placed, "withdrawn": withdrawn},
    )


def _with_sellable(queryset: QuerySet) -> QuerySet:
    today = timezone.localdate()
    return queryset.annotate(
        on_hand=Coalesce(Sum("lots__quantity", filter=Q(lots__batch__expiry_date__gte=today)), 0)
    ).annotate(sellable=F("on_hand") - F("reserved"))


class MedicineBoxItemInline(admin.TabularInline):
    model = MedicineBoxItem
    extra = 0
    fields = ["product", "par_level", "reorder_level", "reserved", "is_active"]
    readonly_fields = ["reserved"]
    autocomplete_fields = ["product"]
    show_change_link = True
    can_delete = False


@admin.register(MedicineBox)
class MedicineBoxAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "partner", "site", "city", "location", "is_active"]
    list_filter = ["is_active", "site", "city"]
    search_fields = ["code", "name", "partner", "location"]
    readonly_fields = ["scan_link"]
    inlines = [MedicineBoxItemInline]
    actions = ["restock_boxes", "review_boxes"]

    @admin.display(description=_("page the QR code opens"))
    def scan_link(self, obj: MedicineBox) -> str:
        return reverse("pharmacy:medicine-box", args=[obj.code]) if obj.pk else ""

    @admin.action(description=_("Restock every item of these boxes"))
    def restock_boxes(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = MedicineBoxItem.objects.filter(box__in=queryset, is_active=True).order_by("pk")
        _restock_items(request, list(ids.values_list("pk", flat=True)))

    @admin.action(description=_("Check for low stock and lots near expiry"))
    def review_boxes(self, request: HttpRequest, queryset: QuerySet) -> None:
        raised = services.medicine_boxes_review(box_ids=queryset.values_list("pk", flat=True))
        messages.success(request, _("%(count)s restock tasks raised.") % {"count": raised})


class MedicineBoxLotInline(admin.TabularInline):
    model = MedicineBoxLot
    extra = 0
    fields = readonly_fields = ("batch", "quantity", "quantity_placed", "placed_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MedicineBoxItem)
class MedicineBoxItemAdmin(admin.ModelAdmin):
    list_display = ["product", "box", "par_level", "reorder_level", "sellable", "reserved"]
    list_filter = ["is_active", "box__site", "box"]
    search_fields = [
        "product__name_zh",
        "product__name_en",
        "product__sku",
        "box__code",
        "box__name",
    ]
    list_select_related = ["product", "box"]
    autocomplete_fields = ["product"]
    readonly_fields = ["reserved"]
    inlines = [MedicineBoxLotInline]
    actions = ["restock"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return _with_sellable(super().get_queryset(request))

    @admin.display(description=_("packs to sell"), ordering="sellable")
    def sellable(self, obj: Any) -> int:
        return max(int(getattr(obj, "sellable", 0)), 0)

    @admin.action(description=_("Restock from the pharmacy"))
    def restock(self, request: HttpRequest, queryset: QuerySet) -> None:
        _restock_items(request, list(queryset.order_by("pk").values_list("pk", flat=True)))


@admin.register(MedicineBoxLot)
class MedicineBoxLotAdmin(ReadOnlyAdmin):
    """A recall searches here by lot number: which boxes hold packs of it."""

    list_display = ["lot_number", "expiry_date", "product", "box", "quantity", "quantity_placed"]
    list_filter = ["item__box", "batch__expiry_date"]
    search_fields = [
        "batch__lot_number",
        "item__box__code",
        "item__box__name",
        "item__product__name_zh",
    ]
    list_select_related = ["batch", "item__box", "item__product"]

    @admin.display(description=_("lot number"), ordering="batch__lot_number")
    def lot_number(self, obj: MedicineBoxLot) -> str:
        return obj.batch.lot_number

    @admin.display(description=_("expiry date"), ordering="batch__expiry_date")
    def expiry_date(self, obj: MedicineBoxLot) -> Any:
        return obj.batch.expiry_date

    @admin.display(description=_("product"))
    def product(self, obj: MedicineBoxLot) -> Any:
        return obj.item.product

    @admin.display(description=_("box"), ordering="item__box")
    def box(self, obj: MedicineBoxLot) -> Any:
        return obj.item.box


@admin.register(MedicineBoxMovement)
class MedicineBoxMovementAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "box", "kind", "quantity", "lot", "order", "actor"]
    list_filter = ["kind", "box"]
    search_fields = ["box__code", "box__name", "lot__batch__lot_number", "order__number"]
    list_select_related = ["box", "lot__batch", "order", "actor"]


class MedicineBoxRestockTaskEventInline(admin.TabularInline):
    model = MedicineBoxRestockTaskEvent
    extra = 0
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "note")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MedicineBoxRestockTask)
class MedicineBoxRestockTaskAdmin(admin.ModelAdmin):
    list_display = ["created_at", "box", "item", "reason", "status", "detail", "closed_at"]
    list_filter = ["status", "reason", "box__site", "box"]
    search_fields = ["box__code", "box__name", "box__partner", "item__product__name_zh"]
    list_select_related = ["box", "item__product", "item__box"]
    readonly_fields = ["box", "item", "reason", "status", "detail", "created_at", "closed_at"]
    inlines = [MedicineBoxRestockTaskEventInline]
    actions = ["restock", "cancel"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Restock now"))
    def restock(self, request: HttpRequest, queryset: QuerySet) -> None:
        open_tasks = queryset.filter(status=MedicineBoxRestockTask.Status.OPEN)
        # One restock per item serves all of its open tasks.
        _restock_items(request, sorted(set(open_tasks.values_list("item_id", flat=True))))

    @admin.action(description=_("Cancel the task"))
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        for task_id in queryset.filter(status=MedicineBoxRestockTask.Status.OPEN).values_list(
            "pk", flat=True
        ):
            services.medicine_box_restock_task_cancel(
                task_id=task_id, actor=request.user, note="cancelled in the admin"
            )
