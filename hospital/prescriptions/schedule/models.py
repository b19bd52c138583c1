"""A medication schedule per delivered prescription item, and its doses."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hospital.prescriptions.models import FormularyDrug, PrescriptionItem


class MedicationSchedule(models.Model):
    """When the patient takes one prescribed drug, from its delivery over its days of supply."""

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="medication_schedules",
        verbose_name=_("patient"),
    )
    prescription_item = models.OneToOneField(
        PrescriptionItem,
        on_delete=models.PROTECT,
        related_name="medication_schedule",
        verbose_name=_("prescription item"),
    )
    drug = models.ForeignKey(
        FormularyDrug, on_delete=models.PROTECT, related_name="+", verbose_name=_("drug")
    )
    dose_text = models.CharField(_("dose"), max_length=60)
    frequency = models.CharField(_("frequency"), max_length=12)
    # Local (Asia/Shanghai) times of day "HH:MM"; the patient may move them.
    times_of_day = models.JSONField(_("times of day"), default=list)
    instructions = models.CharField(_("instructions"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started at"), help_text=_("When the medicine arrived."))
    supply_days = models.PositiveSmallIntegerField(_("days of supply"))
    ends_at = models.DateTimeField(_("supply ends at"))
    is_important = models.BooleanField(_("important dose"), default=False)
    # A long-term supply: a refill reminder goes out before it runs out.
    is_chronic = models.BooleanField(_("chronic supply"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("medication schedule")
        verbose_name_plural = _("medication schedules")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "ends_at"]),
            models.Index(fields=["is_chronic", "ends_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("started_at")),
                name="medication_schedule_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug.code} {self.frequency} for patient {self.patient_id}"


class MedicationDose(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        TAKEN = "taken", _("Taken")
        SKIPPED = "skipped", _("Skipped")
        MISSED = "missed", _("Missed")

    schedule = models.ForeignKey(
        MedicationSchedule,
        on_delete=models.CASCADE,
        related_name="doses",
        verbose_name=_("schedule"),
    )
    # The time the dose is due; a snooze moves only the reminder, never this.
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED
    )
    marked_at = models.DateTimeField(_("taken or skipped at"), null=True, blank=True)
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    # Each snooze books a new series of reminders; the count keeps their keys apart.
    snooze_count = models.PositiveSmallIntegerField(_("times snoozed"), default=0)

    class Meta:
        verbose_name = _("medication dose")
        verbose_name_plural = _("medication doses")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="dose_status_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "due_at"], name="dose_once_per_time"),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "missed"]) | Q(marked_at__isnull=False),
                name="dose_marked_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"dose {self.pk} of schedule {self.schedule_id} at {self.due_at:%Y-%m-%d %H:%M}"
