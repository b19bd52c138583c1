"""Medicine boxes (药箱): small OTC stocks at partner locations (a car fleet, an office).

A box holds packs moved out of the pharmacy's own batches: which lot is in which box, and how
many packs of it, is a MedicineBoxLot row, so a recall of a lot finds the boxes that hold it.
Packs in a box have left the pharmacy's shelf (its batch and product counters no longer count
them); a box sells them as ordinary orders collected at the box, and restock tasks say when a
box runs low or holds lots close to expiry.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import StatusChangeEvent
from core.transitions import TransitionTable

# No 0/O or 1/I: the code is printed under the QR code and sometimes typed by hand.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def medicine_box_code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


class MedicineBox(models.Model):
    class Site(models.TextChoices):
        CAR = "car", _("Car of a partner fleet")
        OFFICE = "office", _("Office")
        OTHER = "other", _("Other partner site")

    code = models.CharField(
        _("code"),
        max_length=16,
        unique=True,
        default=medicine_box_code_new,
        help_text=_("Printed as a QR code on the box; scanning it opens the box's page."),
    )
    name = models.CharField(_("name"), max_length=80)
    partner = models.CharField(_("partner"), max_length=120)
    site = models.CharField(_("site"), max_length=8, choices=Site.choices, default=Site.OFFICE)
    city = models.CharField(_("city"), max_length=40)
    location = models.CharField(
        _("location"), max_length=200, help_text=_("Where the box is: the address, floor, car.")
    )
    contact_phone = models.CharField(_("partner contact phone"), max_length=20, blank=True)
    is_active = models.BooleanField(
        _("selling"), default=True, help_text=_("A box that is not selling shows no stock.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("medicine box")
        verbose_name_plural = _("medicine boxes")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class MedicineBoxItem(models.Model):
    """One product a box carries: how full a restock makes it, and when it is low."""

    box = models.ForeignKey(
        MedicineBox, on_delete=models.PROTECT, related_name="items", verbose_name=_("box")
    )
    product = models.ForeignKey(
        "pharmacy.Product",
        on_delete=models.PROTECT,
        related_name="box_items",
        verbose_name=_("product"),
    )
    par_level = models.PositiveSmallIntegerField(
        _("packs when full"), default=5, help_text=_("A restock fills the box up to this.")
    )
    reorder_level = models.PositiveSmallIntegerField(
        _("low at"),
        default=1,
        help_text=_("A restock task is raised when this many packs or fewer are left."),
    )
    reserved = models.IntegerField(_("reserved by unpaid orders"), default=0, editable=False)
    is_active = models.BooleanField(_("sold"), default=True)

    class Meta:
        verbose_name = _("medicine box item")
        verbose_name_plural = _("medicine box items")
        ordering = ["box_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["box", "product"], name="box_item_once_per_box"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="box_item_reserved_positive"),
            models.CheckConstraint(
                condition=Q(reorder_level__lt=F("par_level")),
                name="box_item_low_below_full",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} @ {self.box.code if self.box_id else '?'}"

    def clean(self) -> None:
        # The admin's form runs this; the services refuse the same products themselves.
        if self.product_id and self.product.is_prescription:
            raise ValidationError(
                {"product": _("Prescription medicines are never sold from a medicine box.")}
            )
        if self.reorder_level >= self.par_level:
            raise ValidationError(
                {"reorder_level": _("The low mark must be below the number of packs when full.")}
            )


class MedicineBoxLot(models.Model):
    """Traceability: how many packs of which pharmacy lot are in the box now."""

    item = models.ForeignKey(
        MedicineBoxItem, on_delete=models.PROTECT, related_name="lots", verbose_name=_("box item")
    )
    batch = models.ForeignKey(
        "pharmacy.Batch", on_delete=models.PROTECT, related_name="box_lots", verbose_name=_("lot")
    )
    quantity = models.PositiveIntegerField(_("packs in the box"), default=0)
    quantity_placed = models.PositiveIntegerField(_("packs ever placed"), default=0)
    placed_at = models.DateTimeField(_("last placed at"), auto_now=True)

    class Meta:
        verbose_name = _("lot in a medicine box")
        verbose_name_plural = _("lots in medicine boxes")
        ordering = ["item_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "batch"], name="box_lot_once_per_item"),
            models.CheckConstraint(
                condition=Q(quantity__lte=F("quantity_placed")), name="box_lot_within_placed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch.lot_number} × {self.quantity}"


class MedicineBoxMovement(models.Model):
    """The box's ledger: packs placed, sold and taken back out, by lot."""

    class Kind(models.TextChoices):
        STOCKED = "stocked", _("Placed by a restock")
        SOLD = "sold", _("Sold and collected")
        WITHDRAWN = "withdrawn", _("Taken back to the pharmacy")

    box = models.ForeignKey(
        MedicineBox, on_delete=models.PROTECT, related_name="movements", verbose_name=_("box")
    )
    lot = models.ForeignKey(
        MedicineBoxLot, on_delete=models.PROTECT, related_name="movements", verbose_name=_("lot")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    quantity = models.IntegerField(_("packs"))
    order = models.ForeignKey(
        "pharmacy.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("order"),
    )
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
        verbose_name = _("medicine box movement")
        verbose_name_plural = _("medicine box movements")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["box", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} @ box #{self.box_id}"


class MedicineBoxRestockTask(models.Model):
    """Work for the restocking round: a box item running low or holding lots near expiry."""

    class Reason(models.TextChoices):
        LOW_STOCK = "low_stock", _("Low stock")
        NEAR_EXPIRY = "near_expiry", _("Lots near expiry")

    class Status(models.TextChoices):
        OPEN = "open", _("To do")
        DONE = "done", _("Restocked")
        CANCELLED = "cancelled", _("Cancelled")

    S = Status
    TRANSITIONS = TransitionTable(
        {S.OPEN: {S.DONE, S.CANCELLED}, S.DONE: set(), S.CANCELLED: set()}
    )

    box = models.ForeignKey(
        MedicineBox, on_delete=models.PROTECT, related_name="restock_tasks", verbose_name=_("box")
    )
    item = models.ForeignKey(
        MedicineBoxItem,
        on_delete=models.PROTECT,
        related_name="restock_tasks",
        verbose_name=_("box item"),
    )
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=S.OPEN)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("medicine box restock task")
        verbose_name_plural = _("medicine box restock tasks")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "box"])]
        constraints = [
            # A scan that runs again, or a second sale of a low item, raises no second task.
            models.UniqueConstraint(
                fields=["item", "reason"],
                condition=Q(status="open"),
                name="box_restock_task_one_open_per_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.item}"


class MedicineBoxRestockTaskEvent(StatusChangeEvent):
    task = models.ForeignKey(
        MedicineBoxRestockTask,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("task"),
    )

    class Meta(StatusChangeEvent.Meta):
        verbose_name = _("restock task event")
        verbose_name_plural = _("restock task events")
