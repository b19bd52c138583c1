"""Bookings of a slot for a patient, and their history."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import StatusChangeEvent
from core.transitions import TransitionTable
from hospital.models.doctors import ConsultationMode, DoctorProfile
from hospital.models.schedules import Slot


class Appointment(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Pending payment")
        CONFIRMED = "confirmed", _("Confirmed")
        IN_CONSULTATION = "in_consultation", _("In consultation")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")
        EXPIRED = "expired", _("Expired")

    class VisitType(models.TextChoices):
        FIRST = "first", _("First visit")
        FOLLOW_UP = "follow_up", _("Follow-up visit")

    class CancelledBy(models.TextChoices):
        PATIENT = "patient", _("Patient")
        DOCTOR = "doctor", _("Doctor")
        OPERATOR = "operator", _("Operator")

    S = Status
    TRANSITIONS = TransitionTable(
        {
            S.PENDING_PAYMENT: {S.CONFIRMED, S.CANCELLED, S.EXPIRED},
            S.CONFIRMED: {S.IN_CONSULTATION, S.CANCELLED, S.NO_SHOW},
            S.IN_CONSULTATION: {S.COMPLETED},
            S.COMPLETED: set(),
            S.CANCELLED: set(),
            S.NO_SHOW: set(),
            S.EXPIRED: set(),
        }
    )
    # Statuses that hold a place in the slot.
    ACTIVE_STATUSES = (S.PENDING_PAYMENT, S.CONFIRMED, S.IN_CONSULTATION, S.COMPLETED)
    # Statuses that give the place back.
    RELEASING_STATUSES = (S.CANCELLED, S.EXPIRED)

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("patient"),
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="booked_appointments",
        verbose_name=_("booked by"),
    )
    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("doctor"),
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("slot")
    )
    mode = models.CharField(_("mode"), max_length=8, choices=ConsultationMode.choices)
    visit_type = models.CharField(_("visit type"), max_length=12, choices=VisitType.choices)
    chief_complaint = models.TextField(_("chief complaint"), max_length=1000)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT
    )
    fee = models.DecimalField(_("fee"), max_digits=8, decimal_places=2)
    # The insurance seam: the share another payer settles; the patient pays fee - share.
    insurance_share = models.DecimalField(
        _("insurance share"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment"),
    )
    hold_expires_at = models.DateTimeField(_("held until"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.CharField(
        _("cancelled by"), max_length=10, choices=CancelledBy.choices, blank=True
    )
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    refund_amount = models.DecimalField(
        _("refunded"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    rescheduled_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rescheduled_to",
        verbose_name=_("rescheduled from"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "hold_expires_at"]),
            models.Index(fields=["doctor", "status"]),
        ]
        constraints = [
            # One person holds a slot once; backs the slot's booked_count for capacity > 1.
            models.UniqueConstraint(
                fields=["slot", "patient"],
                condition=Q(
                    status__in=["pending_payment", "confirmed", "in_consultation", "completed"]
                ),
                name="appointment_one_active_per_patient_slot",
            ),
            # Video and phone slots hold one patient: a second active booking cannot exist.
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(mode__in=["video", "phone"])
                & Q(status__in=["pending_payment", "confirmed", "in_consultation", "completed"]),
                name="appointment_one_active_per_live_slot",
            ),
            models.CheckConstraint(
                condition=Q(insurance_share__gte=0) & Q(insurance_share__lte=models.F("fee")),
                name="appointment_insurance_share_within_fee",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"

    @property
    def patient_due(self) -> Decimal:
        return self.fee - self.insurance_share


class AppointmentEvent(StatusChangeEvent):
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="events", verbose_name=_("appointment")
    )

    class Meta(StatusChangeEvent.Meta):
        verbose_name = _("appointment event")
        verbose_name_plural = _("appointment events")
