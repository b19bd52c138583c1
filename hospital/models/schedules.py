"""When doctors see patients: weekly availability, exceptions, and the slots made from them."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from hospital.models.doctors import ConsultationMode, DoctorProfile

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
