"""Orders, their lines, the batches picked for each line, and their delivery.

Orders are never deleted: they end cancelled, refunded or delivered. Every status change goes
through `Order.TRANSITIONS` (services) and leaves an OrderEvent.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.constraints import amount_is
from core.models import StatusChangeEvent
from core.transitions import TransitionTable

ZERO = Decimal("0.00")


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Waiting for payment")
        PAID = "paid", _("Paid")
        AWAITING_DISPENSING = "awaiting_dispensing", _("Waiting for the pharmacist")
        PACKING = "packing", _("Packing")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Cancelled and refunded")

    class DeliveryMethod(models.TextChoices):
        EXPRESS = "express", _("Express delivery")
        INSTANT = "instant", _("Same-city instant delivery")
        BOX = "box", _("Collected from a medicine box")

    S = Status
    TRANSITIONS = TransitionTable(
        {
            S.PENDING_PAYMENT: {S.PAID, S.CANCELLED},
            # A medicine box sale is collected at the box the moment it is paid.
            S.PAID: {S.AWAITING_DISPENSING, S.PACKING, S.DELIVERED, S.REFUNDED},
            S.AWAITING_DISPENSING: {S.PACKING, S.REFUNDED},
            S.PACKING: {S.SHIPPED, S.REFUNDED},
            S.SHIPPED: {S.DELIVERED},
            S.DELIVERED: set(),
            S.CANCELLED: set(),
            S.REFUNDED: set(),
        }
    )
    # Stock and prescription quantity are still held (not yet shipped): cancelling gives them
    # back; from SHIPPED on, the goods have left.
    CANCELLABLE = frozenset({S.PENDING_PAYMENT, S.PAID, S.AWAITING_DISPENSING, S.PACKING})

    number = models.CharField(_("order number"), max_length=24, unique=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="pharmacy_orders",
        verbose_name=_("account"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT
    )
    delivery_method = models.CharField(
        _("delivery"), max_length=8, choices=DeliveryMethod.choices, default=DeliveryMethod.EXPRESS
    )
    medicine_box = models.ForeignKey(
        "pharmacy.MedicineBox",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("collected from box"),
    )
    recipient_name = models.CharField(_("recipient"), max_length=50)
    recipient_phone = models.CharField(_("phone"), max_length=20)
    city = models.CharField(_("city"), max_length=40)
    address = models.CharField(_("address"), max_length=200)
    requires_dispensing = models.BooleanField(
        _("has prescription lines"),
        default=False,
        help_text=_("A pharmacist verifies it before it is packed."),
    )
    items_total = models.DecimalField(_("items"), max_digits=10, decimal_places=2)
    shipping_fee = models.DecimalField(_("shipping"), max_digits=10, decimal_places=2)
    gross_total = models.DecimalField(_("total"), max_digits=10, decimal_places=2)
    insurance_share = models.DecimalField(
        _("insurance pays"), max_digits=10, decimal_places=2, default=ZERO
    )
    account_share = models.DecimalField(
        _("of which personal account"),
        max_digits=10,
        decimal_places=2,
        default=ZERO,
        help_text=_("The part of what insurance pays that comes from the personal account."),
    )
    patient_due = models.DecimalField(_("patient pays"), max_digits=10, decimal_places=2)
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment"),
    )
    expires_at = models.DateTimeField(_("pay by"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    picked_at = models.DateTimeField(_("batches picked at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by pharmacist"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account", "-id"]),
            models.Index(fields=["status", "expires_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=amount_is("gross_total", F("items_total") + F("shipping_fee")),
                name="order_gross_is_items_plus_shipping",
            ),
            models.CheckConstraint(
                condition=amount_is("patient_due", F("gross_total") - F("insurance_share"))
                & Q(insurance_share__gte=0)
                & Q(account_share__gte=0)
                & Q(account_share__lte=F("insurance_share"))
                & Q(patient_due__gte=0),
                name="order_patient_due_is_gross_less_insurance",
            ),
            models.CheckConstraint(
                condition=Q(delivery_method="box", medicine_box__isnull=False)
                | (~Q(delivery_method="box") & Q(medicine_box__isnull=True)),
                name="order_box_pickup_names_its_box",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.get_status_display()})"

    @property
    def insurer_share(self) -> Decimal:
        """What the insurers (social pool, commercial plan) pay, the personal account aside."""
        return self.insurance_share - self.account_share

    @property
    def is_cancellable(self) -> bool:
        return self.status in self.CANCELLABLE


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="lines", verbose_name=_("order")
    )
    product = models.ForeignKey(
        "pharmacy.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("for"),
    )
    prescription_item = models.ForeignKey(
        "hospital.PrescriptionItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("prescription item"),
    )
    product_name = models.CharField(_("product"), max_length=200)
    is_prescription = models.BooleanField(_("prescription only"), default=False)
    is_returnable = models.BooleanField(_("returnable"), default=False)
    quantity = models.PositiveIntegerField(_("packs"))
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    line_total = models.DecimalField(_("line total"), max_digits=10, decimal_places=2)
    returned_quantity = models.PositiveIntegerField(_("packs returned"), default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=amount_is("line_total", F("unit_price") * F("quantity")),
                name="order_line_total_is_price_times_quantity",
            ),
            models.CheckConstraint(
                condition=Q(returned_quantity__lte=F("quantity")),
                name="order_line_returned_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_name}"


class OrderLinePick(models.Model):
    """Traceability: which lot went to whom, in what quantity."""

    line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="picks", verbose_name=_("order line")
    )
    batch = models.ForeignKey(
        "pharmacy.Batch", on_delete=models.PROTECT, related_name="picks", verbose_name=_("batch")
    )
    quantity = models.PositiveIntegerField(_("packs"))
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("picked by"),
    )
    picked_at = models.DateTimeField(_("picked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("batch picked")
        verbose_name_plural = _("batches picked")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_pick_quantity_positive")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} from lot #{self.batch_id}"


class DispensedPack(models.Model):
    """One pack handed out, by its drug traceability code (药品追溯码): the 20-digit code
    printed on every smallest sales pack, scanned at dispensing. A code is sold once; a second
    sale of the same code is a counterfeit or a resold pack and is refused."""

    line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="packs", verbose_name=_("order line")
    )
    traceability_code = models.CharField(_("traceability code"), max_length=20, unique=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dispensed pack")
        verbose_name_plural = _("dispensed packs")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.traceability_code


class OrderEvent(StatusChangeEvent):
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="events", verbose_name=_("order")
    )

    class Meta(StatusChangeEvent.Meta):
        verbose_name = _("order event")
        verbose_name_plural = _("order events")


class Shipment(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", _("Waiting for the courier")
        PICKED_UP = "picked_up", _("Picked up")
        IN_TRANSIT = "in_transit", _("In transit")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")

    # The order tracking events must follow; a poll never moves a shipment backwards.
    RANK = {
        Status.CREATED: 0,
        Status.PICKED_UP: 1,
        Status.IN_TRANSIT: 2,
        Status.OUT_FOR_DELIVERY: 3,
        Status.DELIVERED: 4,
    }

    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="shipment", verbose_name=_("order")
    )
    carrier = models.CharField(_("courier"), max_length=20)
    tracking_number = models.CharField(_("tracking number"), max_length=40)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CREATED
    )
    eta = models.DateTimeField(_("expected delivery"), null=True, blank=True)
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "last_polled_at"])

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "tracking_number"], name="shipment_unique_tracking_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class TrackingEvent(models.Model):
    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="events", verbose_name=_("shipment")
    )
    status = models.CharField(_("status"), max_length=20, choices=Shipment.Status.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    location = models.CharField(_("location"), max_length=100, blank=True)
    occurred_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["occurred_at", "id"]
        constraints = [
            # A poll that reports an event again records it once.
            models.UniqueConstraint(
                fields=["shipment", "status"], name="tracking_event_once_per_status"
            )
        ]

    def __str__(self) -> str:
        return f"{self.status} @ {self.occurred_at:%Y-%m-%d %H:%M}"
