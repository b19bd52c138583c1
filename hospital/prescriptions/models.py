"""The formulary, e-prescriptions with their items, findings (with the pharmacist's intervention
on each) and events, and renewal requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.transitions import TransitionTable
from hospital.consultations.models import Consultation
from hospital.doctors.models import DoctorProfile
from hospital.rules import figure


class FormularyDrugQuerySet(models.QuerySet["FormularyDrug"]):
    def sellable_online(self) -> FormularyDrugQuerySet:
        """Active drugs that may be prescribed and sold online (control class normal)."""
        return self.filter(is_active=True, control_class=FormularyDrug.ControlClass.NORMAL)


class FormularyDrug(models.Model):
    class RxClass(models.TextChoices):
        RX = "rx", _("Prescription only")
        OTC_A = "otc_a", _("OTC class A (甲类)")
        OTC_B = "otc_b", _("OTC class B (乙类)")

    class ControlClass(models.TextChoices):
        NORMAL = "normal", _("Normal")
        NARCOTIC = "narcotic", _("Narcotic (麻醉药品)")
        PSYCHOTROPIC_1 = "psychotropic_1", _("Psychotropic class I (第一类精神药品)")
        PSYCHOTROPIC_2 = "psychotropic_2", _("Psychotropic class II (第二类精神药品)")
        MEDICAL_TOXIC = "medical_toxic", _("Medical toxic (医疗用毒性药品)")
        RADIOACTIVE = "radioactive", _("Radioactive (放射性药品)")
        PRECURSOR = "precursor", _("Precursor chemical (易制毒)")
        VACCINE = "vaccine", _("Vaccine (疫苗)")
        BLOOD_PRODUCT = "blood_product", _("Blood product (血液制品)")

    class InsuranceCategory(models.TextChoices):
        JIA = "jia", _("Category A (甲类)")
        YI = "yi", _("Category B (乙类)")
        BING = "bing", _("Category C (丙类)")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    generic_name_zh = models.CharField(_("generic name (Chinese)"), max_length=100)
    generic_name_en = models.CharField(_("generic name (English)"), max_length=150)
    ingredients = models.CharField(
        _("ingredients"), max_length=300, help_text=_("Lowercase INN names separated by ';'.")
    )
    atc_code = models.CharField(_("ATC code"), max_length=10, db_index=True)
    strength = models.CharField(_("strength"), max_length=200, blank=True)
    strength_value = models.DecimalField(
        _("strength value"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    strength_unit = models.CharField(_("strength unit"), max_length=20, blank=True)
    dosage_form = models.CharField(_("dosage form"), max_length=60, blank=True)
    route = models.CharField(_("route"), max_length=30, blank=True)
    dose_unit = models.CharField(_("dose unit"), max_length=20)
    pack_size = models.PositiveIntegerField(_("units per pack"), null=True, blank=True)
    pack_unit = models.CharField(_("pack unit"), max_length=30, blank=True)
    rx_class = models.CharField(_("Rx class"), max_length=8, choices=RxClass.choices)
    control_class = models.CharField(
        _("control class"), max_length=16, choices=ControlClass.choices, default=ControlClass.NORMAL
    )
    adult_max_daily_dose = models.DecimalField(
        _("adult maximum daily dose"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    long_term_allowed = models.BooleanField(_("long-term prescribing allowed"), default=False)
    insurance_category = models.CharField(
        _("insurance category"), max_length=4, choices=InsuranceCategory.choices, blank=True
    )
    national_code = models.CharField(_("national drug code"), max_length=40, blank=True)
    sale_restriction = models.CharField(_("sale restriction"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive drugs cannot be newly prescribed.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = FormularyDrugQuerySet.as_manager()

    class Meta:
        verbose_name = _("formulary drug")
        verbose_name_plural = _("formulary drugs")
        ordering = ["generic_name_en", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pack_size__isnull=True) | Q(pack_size__gt=0),
                name="formulary_drug_pack_size_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.generic_name_zh} {self.strength} ({self.code})".replace("  ", " ")

    @property
    def display_name(self) -> str:
        """Generic name in the reader's language (Chinese unless the page is English), with
        the strength: what people read, where the code is for machines."""
        english = (get_language() or "").startswith("en") and self.generic_name_en
        name = self.generic_name_en if english else self.generic_name_zh
        return f"{name} {self.strength}".strip()

    @property
    def is_forbidden_online(self) -> bool:
        return self.control_class != self.ControlClass.NORMAL

    @property
    def ingredient_list(self) -> list[str]:
        return [i.strip() for i in self.ingredients.split(";") if i.strip()]


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

    @property
    def decision_support_checked(self) -> bool:
        """Whether decision support ran on the content as saved. A draft saved while the
        knowledge files were unavailable has no knowledge version: its empty findings mean
        "never checked", not "no warnings" (signing runs the check and fails closed)."""
        return bool(self.knowledge_version)


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
    # Room for a combination's component: "mg sulfamethoxazole", "mg hydrochlorothiazide".
    dose_unit = models.CharField(_("dose unit"), max_length=40)
    route = models.CharField(_("route"), max_length=30)
    frequency = models.CharField(_("frequency"), max_length=12)
    duration_days = models.PositiveSmallIntegerField(_("days"))
    quantity_packs = models.PositiveIntegerField(_("packs"))
    instructions = models.CharField(_("instructions"), max_length=300, blank=True)
    is_important = models.BooleanField(
        _("important dose"),
        default=False,
        help_text=_("Its reminder repeats until the patient marks the dose taken or skipped."),
    )
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
    management_zh = models.TextField(_("management (Chinese)"), blank=True)
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

    @property
    def pharmacist_intervention(self) -> FindingIntervention | None:
        """The reviewing pharmacist's answer, None before there is one."""
        return getattr(self, "intervention", None)


class FindingIntervention(models.Model):
    """The reviewing pharmacist's answer to one decision-support finding (the prescriber's own
    answer is the finding's override reason). Kept with the finding it answers, so how often a
    rule is heeded or set aside can be counted rule by rule."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted: the warning stands and was acted on")
        REJECTED = "rejected", _("Rejected: the warning does not apply to this patient")
        CHANGED = "changed", _("Changed: dose, drug or monitoring changed with the prescriber")

    finding = models.OneToOneField(
        PrescriptionFinding,
        on_delete=models.PROTECT,
        related_name="intervention",
        verbose_name=_("finding"),
    )
    prescription = models.ForeignKey(
        Prescription,
        on_delete=models.PROTECT,
        related_name="interventions",
        verbose_name=_("prescription"),
    )
    # Copied from the finding so the counts per rule never depend on a row that could change.
    rule_id = models.CharField(_("rule"), max_length=200, db_index=True)
    severity = models.CharField(_("severity"), max_length=16)
    pharmacist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("pharmacist"),
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("pharmacist intervention")
        verbose_name_plural = _("pharmacist interventions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["accepted", "rejected", "changed"]),
                name="finding_intervention_outcome_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} {self.rule_id} (Rx #{self.prescription_id})"


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
