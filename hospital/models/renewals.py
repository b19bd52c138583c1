"""Renewal requests (续方): a patient on a chronic prescription asks its doctor for more.

A renewal never creates a prescription by itself: the doctor either opens a follow-up
consultation (where a new prescription may be written and reviewed like any other) or declines
with a reason the patient reads.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.transitions import TransitionTable
from hospital.models.consultations import Consultation
from hospital.models.prescriptions import Prescription


class RenewalRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the doctor")
        ACCEPTED = "accepted", _("Follow-up consultation opened")
        DECLINED = "declined", _("Declined")

    S = Status
    TRANSITIONS = TransitionTable(
        {S.PENDING: {S.ACCEPTED, S.DECLINED}, S.ACCEPTED: set(), S.DECLINED: set()}
    )

    prescription = models.ForeignKey(
        Prescription,
        on_delete=models.PROTECT,
        related_name="renewal_requests",
        verbose_name=_("prescription"),
    )
    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="renewal_requests",
        verbose_name=_("patient"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    note = models.TextField(_("patient's note"), max_length=1000, blank=True)
    decline_reason = models.TextField(_("reason for declining"), max_length=1000, blank=True)
    follow_up_consultation = models.ForeignKey(
        Consultation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal_requests",
        verbose_name=_("follow-up consultation"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("renewal request")
        verbose_name_plural = _("renewal requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            # A double click or a second device cannot queue the same request twice.
            models.UniqueConstraint(
                fields=["prescription"],
                condition=Q(status="pending"),
                name="renewal_request_one_pending_per_prescription",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="renewal_request_decline_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(follow_up_consultation__isnull=False),
                name="renewal_request_accepted_has_consultation",
            ),
        ]

    def __str__(self) -> str:
        return f"Renewal #{self.pk} of Rx #{self.prescription_id} ({self.get_status_display()})"
