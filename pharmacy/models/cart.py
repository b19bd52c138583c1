"""The cart: lines an account intends to buy, each for one of the people it acts for."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CartLine(models.Model):
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="cart_lines",
        verbose_name=_("account"),
    )
    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("for"),
    )
    product = models.ForeignKey(
        "pharmacy.Product", on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    prescription_item = models.ForeignKey(
        "hospital.PrescriptionItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("prescription item"),
        help_text=_("The approved prescription item a prescription product is bought against."),
    )
    quantity = models.PositiveIntegerField(_("packs"))
    rx_notice_confirmed_at = models.DateTimeField(
        _("prescription notice confirmed at"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_line_quantity_positive"),
            models.UniqueConstraint(
                fields=["account", "patient", "product"],
                condition=Q(prescription_item__isnull=True),
                name="cart_line_unique_otc",
            ),
            models.UniqueConstraint(
                fields=["account", "prescription_item"],
                condition=Q(prescription_item__isnull=False),
                name="cart_line_unique_prescription_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × #{self.product_id} for #{self.patient_id}"
