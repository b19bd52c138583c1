"""What the shop sells: categories, products (SKUs), their batches and the stock ledger.

Stock has two truths kept in step inside the same transaction: batches (lot, expiry, quantity
on hand: what is physically there) and two counters on the product, `stock_on_hand` (the sum
over its unexpired batches) and `stock_reserved` (packs held by orders not yet picked). What may
still be sold is their difference, readable from the product row alone, so the catalog list
needs no per-product query, and a checkout reserves with one conditional UPDATE.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pharmacy.search import search_text_build


class Illustration(models.TextChoices):
    """The drawings a product without a photo is shown with, one per kind of goods."""

    TABLETS = "tablets", _("Tablets")
    CAPSULES = "capsules", _("Capsules")
    TOPICAL = "topical", _("Ointment or cream")
    DROPS = "drops", _("Drops")
    INHALER = "inhaler", _("Inhaler")
    DEVICE = "device", _("Measuring device")
    THERMOMETER = "thermometer", _("Thermometer")
    MASK = "mask", _("Mask")
    DRESSING = "dressing", _("Dressing")
    SUPPLEMENT = "supplement", _("Supplement")


# What a product is drawn with when neither it nor its categories name an illustration.
KIND_ILLUSTRATIONS = {
    "drug": Illustration.TABLETS,
    "device": Illustration.DEVICE,
    "health": Illustration.SUPPLEMENT,
}


class Category(models.Model):
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    illustration = models.CharField(
        _("illustration"),
        max_length=16,
        choices=Illustration.choices,
        blank=True,
        help_text=_(
            "Drawn for its products that have no photo. Blank: the parent category's, "
            "else one for the kind of product."
        ),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class ProductQuerySet(models.QuerySet["Product"]):
    def listed(self) -> ProductQuerySet:
        """Products a customer may see: active, and never a drug of a class banned online
        (read from the formulary at query time, so a reclassified drug vanishes at once)."""
        from hospital.prescriptions.models import FormularyDrug

        return self.filter(
            Q(drug__isnull=True)
            | Q(drug__control_class=FormularyDrug.ControlClass.NORMAL, drug__is_active=True),
            is_active=True,
        )


class Product(models.Model):
    class Kind(models.TextChoices):
        DRUG = "drug", _("Medicine")
        DEVICE = "device", _("Medical device")
        HEALTH = "health", _("Health product")

    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.DRUG)
    drug = models.ForeignKey(
        "hospital.FormularyDrug",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("formulary drug"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=160, blank=True)
    brand = models.CharField(_("brand"), max_length=60, blank=True)
    manufacturer = models.CharField(_("manufacturer"), max_length=120, blank=True)
    approval_number = models.CharField(
        _("approval number"),
        max_length=40,
        blank=True,
        help_text=_("国药准字 for medicines, 械注准/械备 for devices."),
    )
    pack_description = models.CharField(_("pack"), max_length=80, blank=True)
    description = models.TextField(_("description"), blank=True)
    indications = models.TextField(_("indications"), blank=True)
    dosage = models.TextField(_("dosage and administration"), blank=True)
    leaflet = models.TextField(_("package leaflet"), blank=True)
    price = models.DecimalField(_("price (CNY)"), max_digits=10, decimal_places=2)
    image = models.ImageField(_("main image"), upload_to="products/", blank=True)
    is_prescription = models.BooleanField(
        _("prescription only"),
        default=False,
        help_text=_("Taken from the formulary drug on every save."),
    )
    purchase_limit = models.PositiveSmallIntegerField(
        _("most packs per order"),
        null=True,
        blank=True,
        help_text=_("Restricted OTC products; filled from the drug's sale restriction if empty."),
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    stock_on_hand = models.IntegerField(_("in unexpired batches"), default=0, editable=False)
    stock_reserved = models.IntegerField(_("reserved by orders"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(
        excluded_fields=["updated_at", "search_text", "stock_on_hand", "stock_reserved"]
    )

    objects = ProductQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["id"]
        indexes = [models.Index(fields=["category", "is_active"])]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="product_price_positive"),
            models.CheckConstraint(
                condition=Q(stock_on_hand__gte=0), name="product_stock_on_hand_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(stock_reserved__gte=0), name="product_stock_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind="drug") | Q(drug__isnull=True),
                name="product_only_drugs_name_a_drug",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_zh} {self.pack_description} ({self.sku})".replace("  ", " ")

    def save(self, *args: object, **kwargs: object) -> None:
        # Every write path (admin, demo, services) goes through here, so the derived fields can
        # never drift from the drug and names they are built from.
        self.sync_from_drug()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,  # type: ignore[misc]
                "is_prescription",
                "purchase_limit",
                "search_text",
            }
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh

    @property
    def illustration(self) -> str:
        """The drawing shown when the product has no photo: its category's, the parent
        category's, else the one for its kind (read the category and its parent with it)."""
        category = self.category
        if category.illustration:
            return category.illustration
        if category.parent_id and category.parent and category.parent.illustration:
            return category.parent.illustration
        return KIND_ILLUSTRATIONS.get(self.kind, Illustration.TABLETS)

    @property
    def stock_available(self) -> int:
        return max(self.stock_on_hand - self.stock_reserved, 0)

    @property
    def is_returnable(self) -> bool:
        """Medicines are never taken back once delivered; devices and health products are."""
        return self.kind != self.Kind.DRUG

    def sync_from_drug(self) -> None:
        """Derived fields: the Rx flag and purchase limit from the drug, the search text."""
        from pharmacy.rules import purchase_limit_for_restriction

        drug = self.drug if self.drug_id else None
        if drug is not None:
            self.is_prescription = drug.rx_class == drug.RxClass.RX
            if self.purchase_limit is None:
                self.purchase_limit = purchase_limit_for_restriction(drug.sale_restriction)
        else:
            self.is_prescription = False
        self.search_text = search_text_build(
            chinese=[self.name_zh, drug.generic_name_zh if drug else ""],
            other=[
                self.name_en,
                self.brand,
                drug.generic_name_en if drug else "",
                drug.ingredients.replace(";", " ") if drug else "",
                drug.atc_code if drug else "",
                self.sku,
            ],
        )


class ProductImage(models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("product")
    )
    image = models.ImageField(_("image"), upload_to="products/")
    alt = models.CharField(_("description"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.alt or self.image.name or ""


class Batch(models.Model):
    """A lot of a product as received: what is left of it, and until when it may be sold."""

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="batches", verbose_name=_("product")
    )
    lot_number = models.CharField(_("lot number"), max_length=40)
    manufactured_on = models.DateField(_("manufactured on"), null=True, blank=True)
    expiry_date = models.DateField(_("expiry date"))
    quantity_received = models.PositiveIntegerField(_("packs received"))
    quantity = models.PositiveIntegerField(_("packs on hand"))
    is_expired = models.BooleanField(
        _("written off as expired"),
        default=False,
        help_text=_("Set by the expiry scan; its packs no longer count as stock."),
    )
    near_expiry_flagged_at = models.DateTimeField(
        _("near-expiry flagged at"), null=True, blank=True
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["expiry_date", "id"]
        indexes = [models.Index(fields=["product", "is_expired", "expiry_date"])]
        constraints = [
            models.UniqueConstraint(fields=["product", "lot_number"], name="batch_unique_lot"),
            models.CheckConstraint(
                condition=Q(quantity__lte=F("quantity_received")),
                name="batch_quantity_within_received",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot_number} (exp {self.expiry_date:%Y-%m-%d}, {self.quantity})"


class StockMovement(models.Model):
    """The stock ledger: every change of on-hand or reserved stock, signed, with its cause."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Received")
        RESERVED = "reserved", _("Reserved by an order")
        RELEASED = "released", _("Reservation released")
        PICKED = "picked", _("Picked for an order")
        RESTOCKED = "restocked", _("Put back from a cancelled order")
        EXPIRED = "expired", _("Written off as expired")
        ADJUSTED = "adjusted", _("Stock count adjustment")
        TO_BOX = "to_box", _("Moved to a medicine box")
        FROM_BOX = "from_box", _("Taken back from a medicine box")

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    batch = models.ForeignKey(
        Batch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
        verbose_name=_("batch"),
    )
    order = models.ForeignKey(
        "pharmacy.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("order"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    quantity = models.IntegerField(_("packs"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["product", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} #{self.product_id}"
