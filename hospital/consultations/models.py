"""Consultations: a booked visit or a quick consult, its messages, diagnoses and outcome."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import StatusChangeEvent
from core.system_text import system_text_render
from core.transitions import TransitionTable
from hospital.booking.models import Appointment
from hospital.doctors.models import ConsultationMode, Department, DoctorProfile


class Consultation(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for a doctor")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        APPOINTMENT = "appointment", _("Booked consultation")
        QUICK = "quick", _("Quick consult")

    class Outcome(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        REFERRED = "referred", _("Referred offline")

    S = Status
    TRANSITIONS = TransitionTable(
        {
            S.WAITING: {S.OPEN, S.CANCELLED},
            S.OPEN: {S.CLOSED},
            S.CLOSED: set(),
            S.CANCELLED: set(),
        }
    )

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name=_("patient"),
    )
    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
        verbose_name=_("doctor"),
        help_text=_("Empty while a quick consult waits for a doctor to claim it."),
    )
    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultation",
        verbose_name=_("appointment"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name=_("department"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    mode = models.CharField(_("mode"), max_length=8, choices=ConsultationMode.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    chief_complaint = models.TextField(_("chief complaint"), max_length=2000)

    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Operators are told once about a quick consult nobody claimed in time.
    unclaimed_alerted_at = models.DateTimeField(_("unclaimed alert sent at"), null=True, blank=True)

    # Follow-up eligibility (复诊): online care continues a condition diagnosed offline.
    qualifies_as_follow_up = models.BooleanField(
        _("qualifies as a follow-up"),
        null=True,
        blank=True,
        help_text=_("Empty until the doctor has assessed the evidence of a prior diagnosis."),
    )
    follow_up_evidence = models.ManyToManyField(
        "hospital.MedicalDocument",
        blank=True,
        related_name="consultations_citing",
        verbose_name=_("evidence of the prior diagnosis"),
    )
    follow_up_note = models.TextField(_("follow-up assessment note"), blank=True)

    notes = models.TextField(_("doctor's notes"), blank=True)
    advice = models.TextField(_("advice"), blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)

    referral_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referred to department"),
    )
    referral_hospital = models.CharField(_("referred to hospital"), max_length=100, blank=True)
    referral_reason = models.TextField(_("referral reason"), blank=True)

    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.TextField(_("rating comment"), max_length=1000, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status", "created_at"]),
            models.Index(fields=["doctor", "status"]),
            models.Index(fields=["patient", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(doctor__isnull=False) | Q(status__in=["waiting", "cancelled"]),
                name="consultation_doctor_once_claimed",
            ),
            models.CheckConstraint(
                condition=Q(kind="quick", appointment__isnull=True)
                | Q(kind="appointment", appointment__isnull=False),
                name="consultation_kind_matches_appointment",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="consultation_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="referred") | ~Q(referral_reason=""),
                name="consultation_referral_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.get_status_display()}"

    def is_participant(self, user: object) -> bool:
        user_id = getattr(user, "pk", None)
        if user_id is None:
            return False
        if self.patient.account_id == user_id:
            return True
        return self.doctor is not None and self.doctor.user_id == user_id


# Statuses in which a consultation is under way or about to be.
ACTIVE_STATUSES = (Consultation.Status.WAITING, Consultation.Status.OPEN)


class ConsultationEvent(StatusChangeEvent):
    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("consultation"),
    )

    class Meta(StatusChangeEvent.Meta):
        verbose_name = _("consultation event")
        verbose_name_plural = _("consultation events")


def message_attachment_path(instance: ConsultationMessage, filename: str) -> str:
    # The stored name never reuses the uploaded one: it is not trusted and may identify someone.
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
        instance.attachment_type, "pdf"
    )
    return f"consultations/{instance.consultation_id}/{uuid.uuid4().hex}.{extension}"


class ConsultationMessage(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGE = "image", _("Image")
        DOCUMENT = "document", _("PDF document")
        SYSTEM = "system", _("System")

    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.PROTECT,
        related_name="messages",
        verbose_name=_("consultation"),
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sender"),
        help_text=_("Empty for system messages."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    body = models.TextField(_("text"), max_length=5000, blank=True)
    # A system message keeps the source of its text, so each participant reads it in their own
    # language (core.system_text); `body` holds it as rendered when written.
    body_msgid = models.CharField(_("system text"), max_length=300, blank=True, editable=False)
    body_params = models.JSONField(_("system text parameters"), default=dict, blank=True)
    attachment = models.FileField(
        _("attachment"), upload_to=message_attachment_path, max_length=200, blank=True
    )
    attachment_type = models.CharField(_("attachment type"), max_length=40, blank=True)
    attachment_size = models.PositiveIntegerField(_("attachment size"), null=True, blank=True)
    attachment_name = models.CharField(_("attachment name"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consultation message")
        verbose_name_plural = _("consultation messages")
        ordering = ["id"]
        indexes = [models.Index(fields=["consultation", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["text", "system"]) | ~Q(attachment=""),
                name="consultation_message_file_has_attachment",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def text(self) -> str:
        """The message as the reader reads it: a system message in the active language."""
        return system_text_render(self.body_msgid, self.body_params, fallback=self.body)


class ConsultationDiagnosis(models.Model):
    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.PROTECT,
        related_name="diagnoses",
        verbose_name=_("consultation"),
    )
    code = models.CharField(_("ICD-10 code"), max_length=10)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("diagnosis")
        verbose_name_plural = _("diagnoses")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "code"], name="consultation_diagnosis_unique_code"
            ),
            models.UniqueConstraint(
                fields=["consultation"],
                condition=Q(is_primary=True),
                name="consultation_diagnosis_one_primary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}".strip()
