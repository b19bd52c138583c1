"""Doctors' weekly sessions, exceptions and bookable slots; appointments and their events."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import StatusChangeEvent
from core.transitions import TransitionTable
from hospital.doctors.models import ConsultationMode, DoctorProfile

SINGLE_CAPACITY_MODES = (ConsultationMode.VIDEO, ConsultationMode.PHONE)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WeeklyAvailability(models.Model):
    """A recurring session: every <weekday> from start to end, cut into slots."""

    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.CASCADE,
        related_name="weekly_availability",
        verbose_name=_("doctor"),
    )
    mode = models.CharField(_("mode"), max_length=8, choices=ConsultationMode.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("start time"))
    end_time = models.TimeField(_("end time"))
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"), default=15, validators=[MinValueValidator(5)]
    )
    capacity = models.PositiveSmallIntegerField(
        _("patients per slot"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("Always 1 for video and phone."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")
        ordering = ["doctor_id", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="availability_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity=1) | Q(mode=ConsultationMode.TEXT),
                name="availability_single_capacity_for_live_modes",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M} "
            f"{self.get_mode_display()}"
        )


class ScheduleException(models.Model):
    """Leave (no slots that day or period) or an extra session outside the weekly pattern."""

    class Kind(models.TextChoices):
        LEAVE = "leave", _("Leave")
        EXTRA = "extra", _("Extra session")

    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.CASCADE,
        related_name="schedule_exceptions",
        verbose_name=_("doctor"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    date = models.DateField(_("date"))
    # Leave without times covers the whole day.
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    mode = models.CharField(
        _("mode"),
        max_length=8,
        choices=ConsultationMode.choices,
        blank=True,
        help_text=_("For an extra session."),
    )
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=15)
    capacity = models.PositiveSmallIntegerField(_("patients per slot"), default=1)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("schedule exception")
        verbose_name_plural = _("schedule exceptions")
        ordering = ["doctor_id", "date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(start_time__isnull=True) & Q(end_time__isnull=True))
                | Q(end_time__gt=F("start_time")),
                name="exception_times_in_order",
            ),
            models.CheckConstraint(
                condition=Q(kind="leave")
                | (~Q(mode="") & Q(start_time__isnull=False) & Q(capacity__gte=1)),
                name="exception_extra_session_complete",
            ),
            models.CheckConstraint(
                condition=Q(capacity=1) | Q(mode=ConsultationMode.TEXT) | Q(kind="leave"),
                name="exception_single_capacity_for_live_modes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class Slot(models.Model):
    """A bookable time with a doctor in one mode. `booked_count` counts active bookings."""

    doctor = models.ForeignKey(
        DoctorProfile, on_delete=models.PROTECT, related_name="slots", verbose_name=_("doctor")
    )
    mode = models.CharField(_("mode"), max_length=8, choices=ConsultationMode.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=1)
    booked_count = models.PositiveSmallIntegerField(_("booked"), default=0)
    is_closed = models.BooleanField(
        _("closed"), default=False, help_text=_("Closed by leave: no new bookings.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["doctor", "starts_at"])]
        constraints = [
            # Generation is idempotent because a slot is unique by doctor, mode and start.
            models.UniqueConstraint(
                fields=["doctor", "mode", "starts_at"], name="slot_unique_doctor_mode_start"
            ),
            # The last line of defence against overbooking, whatever the code does.
            models.CheckConstraint(
                condition=Q(booked_count__lte=F("capacity")), name="slot_not_overbooked"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_positive"),
            models.CheckConstraint(
                condition=Q(capacity=1) | Q(mode=ConsultationMode.TEXT),
                name="slot_single_capacity_for_live_modes",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.doctor_id} {self.mode} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.booked_count, 0)


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
    # What the patient's payers settle directly (their pool, commercial plan and personal
    # account); the patient pays fee - share through the payment gateway.
    insurance_share = models.DecimalField(
        _("insurance share"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    account_share = models.DecimalField(
        _("of which personal account"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    settlement_reference = models.CharField(
        _("insurance settlement"),
        max_length=80,
        blank=True,
        help_text=_("The expense insurance settles for this booking (kept when it is moved)."),
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
                condition=Q(insurance_share__gte=0)
                & Q(insurance_share__lte=models.F("fee"))
                & Q(account_share__gte=0)
                & Q(account_share__lte=models.F("insurance_share")),
                name="appointment_insurance_share_within_fee",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"

    @property
    def patient_due(self) -> Decimal:
        return self.fee - self.insurance_share

    @property
    def insurer_share(self) -> Decimal:
        """What the insurers (social pool, commercial plan) pay, the personal account aside."""
        return self.insurance_share - self.account_share


class AppointmentEvent(StatusChangeEvent):
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="events", verbose_name=_("appointment")
    )

    class Meta(StatusChangeEvent.Meta):
        verbose_name = _("appointment event")
        verbose_name_plural = _("appointment events")


class ExpertRequest(models.Model):
    """ "One tap to call a famous doctor": a patient asks for an appointment with an expert and
    pays the fee up front; the expert's assistant confirms it into a booked slot within the
    expert tier's promise, or declines it. Declined, withdrawn or not confirmed in time, the
    fee goes back."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Pending payment")
        WAITING = "waiting", _("Waiting for the expert's assistant")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Not confirmed in time")
        CANCELLED = "cancelled", _("Withdrawn")
        LAPSED = "lapsed", _("Unpaid")

    S = Status
    TRANSITIONS = TransitionTable(
        {
            S.PENDING_PAYMENT: {S.WAITING, S.CANCELLED, S.LAPSED},
            S.WAITING: {S.CONFIRMED, S.DECLINED, S.EXPIRED, S.CANCELLED},
            S.CONFIRMED: set(),
            S.DECLINED: set(),
            S.EXPIRED: set(),
            S.CANCELLED: set(),
            S.LAPSED: set(),
        }
    )
    OPEN_STATUSES = (S.PENDING_PAYMENT, S.WAITING)

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="expert_requests",
        verbose_name=_("patient"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="expert_requests",
        verbose_name=_("requested by"),
    )
    expert = models.ForeignKey(
        DoctorProfile,
        on_delete=models.PROTECT,
        related_name="expert_requests",
        verbose_name=_("expert"),
    )
    mode = models.CharField(_("mode"), max_length=8, choices=ConsultationMode.choices)
    visit_type = models.CharField(
        _("visit type"), max_length=12, choices=Appointment.VisitType.choices
    )
    chief_complaint = models.TextField(_("chief complaint"), max_length=1000)
    preferred_times = models.CharField(
        _("preferred times"),
        max_length=200,
        blank=True,
        help_text=_("When the patient would like the appointment, in their words."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT
    )
    fee = models.DecimalField(_("fee"), max_digits=8, decimal_places=2)
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment"),
    )
    hold_expires_at = models.DateTimeField(_("payable until"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    confirm_by = models.DateTimeField(
        _("to be confirmed by"),
        null=True,
        blank=True,
        help_text=_("The expert tier's promise: confirmed by then, or refunded."),
    )
    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="expert_request",
        verbose_name=_("appointment"),
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=200, blank=True)
    refund_amount = models.DecimalField(
        _("refunded"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("expert appointment request")
        verbose_name_plural = _("expert appointment requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "confirm_by"]),
            models.Index(fields=["status", "hold_expires_at"]),
            models.Index(fields=["expert", "status"]),
        ]
        constraints = [
            # One open request per patient and expert: a second tap finds the first.
            models.UniqueConstraint(
                fields=["patient", "expert"],
                condition=Q(status__in=["pending_payment", "waiting"]),
                name="expert_request_one_open_per_patient_expert",
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(appointment__isnull=False),
                name="expert_request_confirmed_has_appointment",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="expert_request_declined_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(fee__gte=0) & Q(refund_amount__gte=0) & Q(refund_amount__lte=F("fee")),
                name="expert_request_refund_within_fee",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"


class ExpertRequestEvent(StatusChangeEvent):
    request = models.ForeignKey(
        ExpertRequest,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("expert appointment request"),
    )

    class Meta(StatusChangeEvent.Meta):
        verbose_name = _("expert request event")
        verbose_name_plural = _("expert request events")
