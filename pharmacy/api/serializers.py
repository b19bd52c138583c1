"""Input and output shapes of the pharmacy API: one input serializer per write."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import ModelOutputSerializer
from pharmacy.models import (
    CartLine,
    MedicineBox,
    Order,
    OrderLine,
    Product,
    Shipment,
    TrackingEvent,
)
from pharmacy.models.catalog import KIND_ILLUSTRATIONS, Illustration
from pharmacy.product_texts import product_texts
from pharmacy.rules import RX_NOTICE

# The largest id a BigAutoField holds: a bigger number in a list of ids would overflow the
# database's integer parameter (a 500) instead of simply matching nothing.
ID_MAX = 2**63 - 1


def product_image_url(
    *, kind: str, image: str, is_prescription: bool, illustration: str = ""
) -> str | None:
    """No image of a prescription product is ever shown in lists; others without a photo are
    drawn with their category's illustration, else the one for their kind."""
    if is_prescription:
        return None
    if image:
        return f"{settings.MEDIA_URL}{image}"
    return _illustration_url(illustration or KIND_ILLUSTRATIONS.get(kind, Illustration.TABLETS))


@cache
def _illustration_url(illustration: str) -> str:
    # A manifest lookup per row was a fifth of a catalog page's serializing time; the answer
    # only changes with a deployment (a new process) or, in tests, with the static settings.
    return static(f"pharmacy/illustrations/{illustration}.svg")


@receiver(setting_changed)
def _illustration_url_forget(*, setting: str, **kwargs: Any) -> None:
    if setting in ("STATIC_URL", "STORAGES"):
        _illustration_url.cache_clear()


class CategoryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    # Named like the model field; DRF keeps declared fields apart from the serializer's own
    # `parent` attribute.
    parent = serializers.IntegerField(source="parent_id", allow_null=True)  # type: ignore[assignment]


class ProductListFilters(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    category = serializers.CharField(required=False, allow_blank=True, max_length=60)
    rx = serializers.BooleanField(required=False, allow_null=True, default=None)


class ProductListItemOutput(serializers.Serializer):
    """Reads the dicts of selectors.product_list (no model instances)."""

    id = serializers.IntegerField()
    sku = serializers.CharField()
    kind = serializers.ChoiceField(choices=Product.Kind.choices)
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    brand = serializers.CharField()
    pack_description = serializers.CharField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    is_prescription = serializers.BooleanField()
    purchase_limit = serializers.IntegerField(allow_null=True)
    category = serializers.IntegerField(source="category_id")
    in_stock = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()

    def get_in_stock(self, row: dict[str, Any]) -> bool:
        return row["stock_available"] > 0

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_image_url(self, row: dict[str, Any]) -> str | None:
        return product_image_url(
            kind=row["kind"],
            image=row["image"],
            is_prescription=row["is_prescription"],
            illustration=row["illustration"],
        )


def product_list_items(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of selectors.product_list exactly as ProductListItemOutput renders them.

    A catalog page is the busiest response of the shop, and the serializer spent more time
    copying fields and dispatching per field than the page's query took; this builds the same
    dicts directly. ProductListItemOutput stays the documented shape, and a test holds the two
    to the same output.
    """
    return [
        {
            "id": row["id"],
            "sku": row["sku"],
            "kind": row["kind"],
            "name_zh": row["name_zh"],
            "name_en": row["name_en"],
            "brand": row["brand"],
            "pack_description": row["pack_description"],
            "price": f"{row['price']:.2f}",
            "is_prescription": row["is_prescription"],
            "purchase_limit": row["purchase_limit"],
            "category": row["category_id"],
            "in_stock": row["stock_available"] > 0,
            "image_url": product_image_url(
                kind=row["kind"],
                image=row["image"],
                is_prescription=row["is_prescription"],
                illustration=row["illustration"],
            ),
        }
        for row in rows
    ]


class DrugSummaryOutput(serializers.Serializer):
    code = serializers.CharField()
    generic_name_zh = serializers.CharField()
    generic_name_en = serializers.CharField()
    ingredients = serializers.CharField()
    strength = serializers.CharField()
    dosage_form = serializers.CharField()
    rx_class = serializers.CharField()
    insurance_category = serializers.CharField()


class PrescriptionItemChoiceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    prescription = serializers.IntegerField(source="prescription_id")
    patient = serializers.IntegerField(source="prescription.patient_id")
    patient_name = serializers.CharField(source="prescription.patient.real_name")
    valid_until = serializers.DateField(source="prescription.valid_until")
    quantity_packs = serializers.IntegerField()
    remaining_packs = serializers.SerializerMethodField()

    def get_remaining_packs(self, item: Any) -> int:
        return max(item.quantity_packs - item.purchased_packs, 0)


class ProductDetailOutput(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    kind = serializers.ChoiceField(choices=Product.Kind.choices)
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    brand = serializers.CharField()
    manufacturer = serializers.CharField()
    approval_number = serializers.CharField()
    pack_description = serializers.CharField()
    description = serializers.CharField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    is_prescription = serializers.BooleanField()
    purchase_limit = serializers.IntegerField(allow_null=True)
    stock_available = serializers.IntegerField()
    category = CategoryOutput()
    drug = DrugSummaryOutput(allow_null=True)
    is_returnable = serializers.BooleanField()
    rx_notice = serializers.SerializerMethodField()
    details_visible = serializers.SerializerMethodField(
        help_text="False for a prescription product unless the viewer holds an approved "
        "prescription of its drug: indications, dosage and leaflet are then empty."
    )
    indications = serializers.SerializerMethodField()
    dosage = serializers.SerializerMethodField()
    leaflet = serializers.SerializerMethodField()
    image_urls = serializers.SerializerMethodField()
    prescription_items = serializers.SerializerMethodField(
        help_text="The viewer's approved prescription items this product can be bought against."
    )

    def _visible(self) -> bool:
        return bool(self.context.get("details_visible"))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_rx_notice(self, product: Product) -> str | None:
        return str(RX_NOTICE) if product.is_prescription else None

    def get_details_visible(self, product: Product) -> bool:
        return self._visible()

    def to_representation(self, instance: Product) -> dict[str, Any]:
        data = super().to_representation(instance)
        # The description a customer reads, in the language asked for (written from the
        # formulary drug when the product has none of its own).
        data["description"] = product_texts(instance).description
        return data

    def get_indications(self, product: Product) -> str:
        return product_texts(product).indications if self._visible() else ""

    def get_dosage(self, product: Product) -> str:
        return product_texts(product).dosage if self._visible() else ""

    def get_leaflet(self, product: Product) -> str:
        return product_texts(product).leaflet if self._visible() else ""

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_image_urls(self, product: Product) -> list[str]:
        urls = [product.image.url] if product.image else []
        urls += [image.image.url for image in product.images.all()]
        if urls:
            return urls
        return [
            product_image_url(
                kind=product.kind,
                image="",
                is_prescription=False,
                illustration=product.illustration,
            )
            or ""
        ]

    @extend_schema_field(PrescriptionItemChoiceOutput(many=True))
    def get_prescription_items(self, product: Product) -> Any:
        items = self.context.get("prescription_items") or []
        return PrescriptionItemChoiceOutput(items, many=True).data


class CartLineInput(serializers.Serializer):
    patient = serializers.IntegerField(min_value=1)
    product = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1)
    prescription_item = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    rx_notice_confirmed = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The buyer confirms the prescription notice (prescription products).",
    )


class CartLineUpdateInput(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1)


class CartLineOutput(ModelOutputSerializer):
    product_name = serializers.CharField(source="product.name_zh")
    product_name_en = serializers.CharField(source="product.name_en")
    pack_description = serializers.CharField(source="product.pack_description")
    unit_price = serializers.DecimalField(source="product.price", max_digits=10, decimal_places=2)
    line_total = serializers.SerializerMethodField()
    is_prescription = serializers.BooleanField(source="product.is_prescription")
    in_stock = serializers.SerializerMethodField()
    patient_name = serializers.CharField(source="patient.real_name")

    class Meta:
        model = CartLine
        fields = [
            "id",
            "patient",
            "patient_name",
            "product",
            "product_name",
            "product_name_en",
            "pack_description",
            "prescription_item",
            "quantity",
            "unit_price",
            "line_total",
            "is_prescription",
            "in_stock",
            "rx_notice_confirmed_at",
        ]

    @extend_schema_field(serializers.DecimalField(max_digits=10, decimal_places=2))
    def get_line_total(self, line: CartLine) -> str:
        return f"{line.product.price * line.quantity:.2f}"

    def get_in_stock(self, line: CartLine) -> bool:
        return line.quantity <= line.product.stock_available


class CartOutput(serializers.Serializer):
    lines = CartLineOutput(many=True)
    items_total = serializers.DecimalField(max_digits=10, decimal_places=2)
    requires_prescription = serializers.BooleanField()


class CheckoutInput(serializers.Serializer):
    delivery_method = serializers.ChoiceField(choices=Order.DeliveryMethod.choices)
    recipient_name = serializers.CharField(max_length=50)
    recipient_phone = serializers.CharField(max_length=20)
    city = serializers.CharField(max_length=40)
    address = serializers.CharField(max_length=200)
    lines = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        required=False,
        allow_empty=False,
        max_length=100,
        help_text="Cart line ids to buy; default all of them.",
    )


class OrderLinePickOutput(serializers.Serializer):
    lot_number = serializers.CharField(source="batch.lot_number")
    expiry_date = serializers.DateField(source="batch.expiry_date")
    quantity = serializers.IntegerField()


class OrderLineOutput(ModelOutputSerializer):
    patient_name = serializers.CharField(source="patient.real_name")
    prescription = serializers.IntegerField(
        source="prescription_item.prescription_id", allow_null=True, default=None
    )
    picks = OrderLinePickOutput(many=True)
    traceability_codes = serializers.SerializerMethodField()

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "product",
            "product_name",
            "patient",
            "patient_name",
            "prescription_item",
            "prescription",
            "is_prescription",
            "is_returnable",
            "quantity",
            "unit_price",
            "line_total",
            "returned_quantity",
            "picks",
            "traceability_codes",
        ]

    def get_traceability_codes(self, line: OrderLine) -> list[str]:
        return [pack.traceability_code for pack in line.packs.all()]


class OrderEventOutput(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class OrderSummaryOutput(ModelOutputSerializer):
    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "delivery_method",
            "requires_dispensing",
            "items_total",
            "shipping_fee",
            "gross_total",
            "insurance_share",
            "account_share",
            "patient_due",
            "expires_at",
            "paid_at",
            "shipped_at",
            "delivered_at",
            "created_at",
        ]


class OrderDetailOutput(OrderSummaryOutput):
    lines = OrderLineOutput(many=True)
    events = OrderEventOutput(many=True)
    payment_status = serializers.CharField(source="payment.status", allow_null=True, default=None)
    tracking_number = serializers.CharField(
        source="shipment.tracking_number", allow_null=True, default=None
    )
    medicine_box = serializers.CharField(
        source="medicine_box.code",
        allow_null=True,
        default=None,
        help_text="The box the order is collected from (delivery_method box).",
    )

    class Meta(OrderSummaryOutput.Meta):
        fields = [
            *OrderSummaryOutput.Meta.fields,
            "recipient_name",
            "recipient_phone",
            "city",
            "address",
            "verified_at",
            "cancelled_at",
            "cancel_reason",
            "payment_status",
            "tracking_number",
            "medicine_box",
            "lines",
            "events",
        ]


class OrderPayOutput(serializers.Serializer):
    order = OrderSummaryOutput()
    redirect_url = serializers.CharField()


class OrderCancelInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class OrderDispenseInput(serializers.Serializer):
    approve = serializers.BooleanField(default=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=180, default="")
    traceability_codes = serializers.DictField(
        child=serializers.ListField(
            child=serializers.CharField(max_length=40, allow_blank=True), max_length=500
        ),
        required=False,
        default=dict,
        help_text=(
            "Order line id → the 20-digit drug traceability code (追溯码) of each pack handed "
            "out; required, one per pack, for every prescription line when approving."
        ),
    )

    def validate_traceability_codes(self, value: dict[str, list[str]]) -> dict[int, list[str]]:
        if len(value) > 100:
            raise serializers.ValidationError("At most 100 lines.")
        try:
            return {int(line): codes for line, codes in value.items()}
        except ValueError as error:
            raise serializers.ValidationError("Keys are order line ids.") from error


class OrderReturnInput(serializers.Serializer):
    line = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=150)


class OrderComplaintInput(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


class TrackingEventOutput(ModelOutputSerializer):
    class Meta:
        model = TrackingEvent
        fields = ["status", "description", "location", "occurred_at"]


class ShipmentOutput(ModelOutputSerializer):
    events = TrackingEventOutput(many=True)

    class Meta:
        model = Shipment
        fields = ["carrier", "tracking_number", "status", "eta", "events"]


class TrackingOutput(serializers.Serializer):
    order = serializers.IntegerField()
    order_status = serializers.CharField()
    shipment = ShipmentOutput(allow_null=True)


class DispensingQueueLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    product_name = serializers.CharField()
    quantity = serializers.IntegerField()
    patient_name = serializers.CharField(source="patient.real_name")
    prescription = serializers.IntegerField(
        source="prescription_item.prescription_id", allow_null=True, default=None
    )
    prescribed_packs = serializers.IntegerField(
        source="prescription_item.quantity_packs", allow_null=True, default=None
    )
    instructions = serializers.CharField(
        source="prescription_item.instructions", allow_null=True, default=None
    )


class DispensingQueueOrderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    paid_at = serializers.DateTimeField()
    lines = DispensingQueueLineOutput(many=True)


class MedicineBoxItemOutput(serializers.Serializer):
    product = serializers.IntegerField(source="product_id")
    name_zh = serializers.CharField(source="product.name_zh")
    name_en = serializers.CharField(source="product.name_en")
    pack_description = serializers.CharField(source="product.pack_description")
    price = serializers.DecimalField(source="product.price", max_digits=10, decimal_places=2)
    purchase_limit = serializers.IntegerField(source="product.purchase_limit", allow_null=True)
    available = serializers.SerializerMethodField(help_text="Packs the box can sell now.")

    def get_available(self, item: Any) -> int:
        return max(int(item.sellable), 0)


class MedicineBoxOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    partner = serializers.CharField()
    site = serializers.ChoiceField(choices=MedicineBox.Site.choices)
    city = serializers.CharField()
    location = serializers.CharField()
    items = MedicineBoxItemOutput(many=True, source="items_for_sale")


class MedicineBoxOrderInput(serializers.Serializer):
    patient = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, help_text="The patient profile the medicine is for."
    )
    product = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    quantity = serializers.IntegerField(min_value=1, max_value=99)
