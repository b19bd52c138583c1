"""E-prescriptions: drafted and signed by the treating doctor, reviewed by a pharmacist (审方).

A prescription is a draft until its doctor signs it; signing stores an HMAC over its content
(see hospital.prescription_signing), so any later change to the signed content is detectable.
A rejected prescription is never edited: the doctor revises it into a new version.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.transitions import TransitionTable
from hospital.models.consultations import Consultation
from hospital.models.doctors import DoctorProfile
from hospital.models.formulary import FormularyDrug
from hospital.rules import figure


class Prescription(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_REVIEW = "pending_review", _("Waiting for pharmacist review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")
        VOID = "void", _("Void")

    class ReviewReason(models.TextChoices):
        INDICATION = "indication", _("Indication does not fit the diagnosis")
        DOSE = "dose", _("Dose or quantity")
        INTERACTION = "interaction", _("Interaction")
        DUPLICATE = "duplicate", _("Duplicate therapy")
        CONTRAINDICATION = "contraindication", _("Contraindication")
        OTHER = "other", _("Other")

    S = Status
    TRANSITIONS = TransitionTable(
        {
            S.DRAFT: {S.PENDING_REVIEW, S.VOID},
            S.PENDING_REVIEW: {S.APPROVED, S.REJECTED, S.EXPIRED, S.VOID},
            S.APPROVED: {S.EXPIRED, S.VOID},
            S.REJECTED: set(),
            S.EXPIRED: set(),
            S.VOID: set(),
        }
    )

    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.PROTECT,
        related_name="prescriptions",
        verbose_name=_("consultation"),
    )
    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="prescriptions",
        verbose_name=_("patient"),
    )
    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.PROTECT,
        related_name="prescriptions",
        verbose_name=_("doctor"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    revision_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revisions",
        verbose_name=_("revision of"),
        help_text=_("The rejected prescription this one revises."),
    )
    diagnosis_codes = models.JSONField(_("ICD-10 diagnosis codes"), default=list)
    supply_days = models.PositiveSmallIntegerField(_("days of supply"), default=0)
    long_term_reason = models.TextField(_("reason for a long-term supply"), blank=True)
    guardian_name = models.CharField(_("guardian present"), max_length=50, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signature = models.CharField(_("signature"), max_length=64, blank=True)
    knowledge_version = models.CharField(
        _("decision-support knowledge version"), max_length=32, blank=True
    )
    risk_rank = models.PositiveSmallIntegerField(
        _("risk"),
        default=0,
        help_text=_("Highest finding severity: 0 none/info, 1 minor … 4 contraindicated."),
    )
    submitted_at = models.DateTimeField(_("submitted for review at"), null=True, blank=True)

    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_decision_reason = models.CharField(
        _("review reason"), max_length=20, choices=ReviewReason.choices, blank=True
    )
    review_comment = models.TextField(_("review comment"), blank=True)
    review_lease_holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("being reviewed by"),
    )
    review_lease_expires_at = models.DateTimeField(
        _("review lease expires at"), null=True, blank=True
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("prescription")
        verbose_name_plural = _("prescriptions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-risk_rank", "submitted_at"]),
            models.Index(fields=["doctor", "status"]),
            models.Index(fields=["patient", "status"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="prescription_version_min_1"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(valid_until__gte=F("issued_on")),
                name="prescription_valid_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(status="void") | ~Q(signature=""),
                name="prescription_signed_once_submitted",
            ),
            models.UniqueConstraint(
                fields=["revision_of"],
                condition=Q(revision_of__isnull=False),
                name="prescription_one_revision_each",
            ),
        ]

    def __str__(self) -> str:
        return f"Rx #{self.pk} v{self.version} {self.get_status_display()}"

    @property
    def is_long_term(self) -> bool:
        """Longer than the normal supply: printed as a chronic (慢病) prescription."""
        return self.supply_days > figure("PRESCRIPTION_MAX_SUPPLY_DAYS")


class PrescriptionItem(models.Model):
    prescription = models.ForeignKey(
        Prescription,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name=_("prescription"),
    )
    drug = models.ForeignKey(
        FormularyDrug, on_delete=models.PROTECT, related_name="+", verbose_name=_("drug")
    )
    dose = models.DecimalField(_("dose"), max_digits=10, decimal_places=3)
    dose_unit = models.CharField(_("dose unit"), max_length=20)
    route = models.CharField(_("route"), max_length=30)
    frequency = models.CharField(_("frequency"), max_length=12)
    duration_days = models.PositiveSmallIntegerField(_("days"))
    quantity_packs = models.PositiveIntegerField(_("packs"))
    instructions = models.CharField(_("instructions"), max_length=300, blank=True)
    purchased_packs = models.PositiveIntegerField(_("packs bought"), default=0)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("prescription item")
        verbose_name_plural = _("prescription items")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_packs__gt=0), name="prescription_item_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(purchased_packs__gte=0) & Q(purchased_packs__lte=F("quantity_packs")),
                name="prescription_item_purchased_within_quantity",
            ),
            models.CheckConstraint(condition=Q(dose__gt=0), name="prescription_item_dose_positive"),
            models.CheckConstraint(
                condition=Q(duration_days__gt=0), name="prescription_item_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug.code} {self.dose} {self.dose_unit} {self.frequency}"


class PrescriptionFinding(models.Model):
    """What decision support said about the prescription, as last checked (replaced each check)."""

    prescription = models.ForeignKey(
        Prescription,
        on_delete=models.CASCADE,
        related_name="findings",
        verbose_name=_("prescription"),
    )
    kind = models.CharField(_("kind"), max_length=32)
    severity = models.CharField(_("severity"), max_length=16)
    drug_codes = models.JSONField(_("drugs"), default=list)
    message = models.TextField(_("message"))
    message_zh = models.TextField(_("message (Chinese)"), blank=True)
    management = models.TextField(_("management"), blank=True)
    source = models.TextField(_("source"), blank=True)
    rule_id = models.CharField(_("rule"), max_length=200)
    override_reason = models.TextField(_("prescriber's override reason"), blank=True)
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)

    class Meta:
        verbose_name = _("prescription finding")
        verbose_name_plural = _("prescription findings")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.severity} {self.kind}: {self.rule_id}"


class PrescriptionEvent(models.Model):
    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        SIGNED = "signed", _("Signed")
        EXTENDED = "extended", _("Validity extended")
        REVISED = "revised", _("Revised")
        CLAIMED = "claimed", _("Taken for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")
        VOIDED = "voided", _("Voided")

    prescription = models.ForeignKey(
        Prescription,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("prescription"),
    )
    kind = models.CharField(_("kind"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("prescription event")
        verbose_name_plural = _("prescription events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["prescription", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.prescription_id}"
