"""The payer's data: payers, plans and their versioned benefit rules, policies and the year's
accumulators. Every figure is a row with an effective date and a named source, never a literal
in code. Amounts are integer fen and ratios basis points, as the engine takes them."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from insurance.adjudication import ItemCategory


def _localized(zh: str, en: str) -> str:
    return zh if (get_language() or "").startswith("zh") else (en or zh)


class Payer(models.Model):
    class Kind(models.TextChoices):
        SOCIAL = "social", _("Social medical insurance")
        COMMERCIAL = "commercial", _("Commercial insurer")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        verbose_name = _("payer")
        verbose_name_plural = _("payers")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return _localized(self.name_zh, self.name_en)


class Plan(models.Model):
    class Scheme(models.TextChoices):
        EMPLOYEE = "employee", _("Employee basic medical insurance")
        RESIDENT = "resident", _("Urban and rural resident basic medical insurance")
        COMMERCIAL = "commercial", _("Commercial health plan")

    payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, related_name="plans", verbose_name=_("payer")
    )
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    scheme = models.CharField(_("scheme"), max_length=20, choices=Scheme.choices)
    is_active = models.BooleanField(_("open for enrolment"), default=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["payer__kind", "code"]

    def __str__(self) -> str:
        return _localized(self.name_zh, self.name_en)

    @property
    def is_social(self) -> bool:
        return self.scheme != self.Scheme.COMMERCIAL


class PlanVersion(models.Model):
    """A plan's figures from a date on; the version in force on a service date applies."""

    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="versions", verbose_name=_("plan")
    )
    effective_from = models.DateField(_("effective from"))
    source = models.CharField(
        _("source"), max_length=300, help_text=_("The notice or policy wording, with its year.")
    )
    deductible_fen = models.PositiveBigIntegerField(_("annual deductible (fen)"), default=0)
    annual_cap_fen = models.PositiveBigIntegerField(
        _("annual cap (fen)"), help_text=_("The pool's cap, or the commercial annual maximum.")
    )
    per_claim_maximum_fen = models.PositiveBigIntegerField(
        _("per-claim maximum (fen)"), null=True, blank=True
    )
    yi_self_paid_bp = models.PositiveIntegerField(
        _("category B self-paid first portion (basis points)"), default=0
    )
    chronic_ratio_bp = models.PositiveIntegerField(
        _("chronic disease ratio (basis points)"), default=0
    )
    chronic_annual_cap_fen = models.PositiveBigIntegerField(
        _("chronic disease annual cap (fen)"), default=0
    )
    account_usable = models.BooleanField(_("personal account may pay"), default=False)
    waiting_days = models.PositiveIntegerField(_("waiting period (days)"), default=0)
    manual_review_over_fen = models.PositiveBigIntegerField(
        _("claims over this go to manual review (fen)"), null=True, blank=True
    )
    # Health bonus (as a glucose meter's insurer rewards steady self-monitoring): a month with
    # readings on enough days, most of them in range, earns extra cover. It raises the
    # policy's annual maximum for that year rather than paying into the personal account: the
    # personal account is the social scheme's, funded by law, and no commercial insurer can
    # pay into it; extra cover is what the insurer itself can give, and it costs the insurer
    # only when the patient needs care. Social plan versions therefore carry no bonus.
    incentive_min_days = models.PositiveSmallIntegerField(
        _("health bonus: days with readings in the month"),
        default=0,
        help_text=_("0: this version grants no health bonus."),
    )
    incentive_in_range_bp = models.PositiveIntegerField(
        _("health bonus: share of readings in range (basis points)"), default=0
    )
    incentive_bonus_fen = models.PositiveBigIntegerField(
        _("health bonus: extra annual cover (fen)"), default=0
    )
    # Moves on every change to the version or its ratios, chronic diseases and exclusions, so
    # the rules read from them may be kept between claims and are read again once they change.
    rules_revision = models.CharField(
        max_length=32, editable=False, default="", verbose_name=_("rules revision")
    )

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ["plan", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "effective_from"], name="insurance_one_version_per_date"
            ),
            models.CheckConstraint(
                condition=Q(yi_self_paid_bp__lte=10_000) & Q(chronic_ratio_bp__lte=10_000),
                name="insurance_version_ratios_at_most_whole",
            ),
            models.CheckConstraint(
                condition=Q(incentive_in_range_bp__lte=10_000) & Q(incentive_min_days__lte=31),
                name="insurance_version_incentive_within_a_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.effective_from:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.rules_revision = uuid.uuid4().hex
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "rules_revision"}
        super().save(*args, **kwargs)

    @property
    def has_incentive(self) -> bool:
        return self.incentive_min_days > 0 and self.incentive_bonus_fen > 0

    def clean(self) -> None:
        if self.has_incentive and self.plan_id and self.plan.is_social:
            raise ValidationError(
                {"incentive_bonus_fen": _("Only a commercial plan can grant a health bonus.")}
            )


class ProviderLevel(models.TextChoices):
    ANY = "", _("Any level")
    PRIMARY = "primary", _("Primary (community) provider")
    SECONDARY = "secondary", _("Secondary hospital")
    TERTIARY = "tertiary", _("Tertiary hospital")


class Category(models.TextChoices):
    """The engine's item categories, with their names for people."""

    DRUG_JIA = ItemCategory.DRUG_JIA.value, _("Category A drug")
    DRUG_YI = ItemCategory.DRUG_YI.value, _("Category B drug")
    DRUG_BING = ItemCategory.DRUG_BING.value, _("Category C drug")
    DRUG_UNLISTED = ItemCategory.DRUG_UNLISTED.value, _("Drug outside the catalogue")
    VISIT = ItemCategory.VISIT.value, _("Outpatient visit")


class CategoryRatio(models.Model):
    """The share a plan pays for a category of item, for a provider level (or any level)."""

    version = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="ratios", verbose_name=_("plan version")
    )
    category = models.CharField(
        _("item category"),
        max_length=20,
        choices=Category.choices,
    )
    provider_level = models.CharField(
        _("provider level"), max_length=20, choices=ProviderLevel.choices, blank=True
    )
    ratio_bp = models.PositiveIntegerField(_("ratio (basis points)"))

    class Meta:
        verbose_name = _("category ratio")
        verbose_name_plural = _("category ratios")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "category", "provider_level"],
                name="insurance_one_ratio_per_category_level",
            ),
            models.CheckConstraint(
                condition=Q(ratio_bp__lte=10_000), name="insurance_ratio_at_most_whole"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.provider_level or '*'} {self.ratio_bp / 100:g}%"


class ChronicDisease(models.Model):
    """A 门诊慢特病 the version lists, by ICD-10 prefix."""

    version = models.ForeignKey(
        PlanVersion,
        on_delete=models.CASCADE,
        related_name="chronic",
        verbose_name=_("plan version"),
    )
    icd10_prefix = models.CharField(_("ICD-10 prefix"), max_length=10)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("chronic or special disease")
        verbose_name_plural = _("chronic and special diseases")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "icd10_prefix"], name="insurance_one_chronic_per_prefix"
            )
        ]

    def __str__(self) -> str:
        return f"{self.icd10_prefix} {self.name}"


class Exclusion(models.Model):
    class Kind(models.TextChoices):
        DIAGNOSIS = "diagnosis", _("Diagnosis (ICD-10 prefix)")
        DRUG = "drug", _("Drug (formulary code)")

    version = models.ForeignKey(
        PlanVersion,
        on_delete=models.CASCADE,
        related_name="exclusions",
        verbose_name=_("plan version"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    code = models.CharField(_("code"), max_length=60)

    class Meta:
        verbose_name = _("exclusion")
        verbose_name_plural = _("exclusions")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "kind", "code"], name="insurance_one_exclusion_per_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code}"


class Policy(models.Model):
    """A patient profile's membership of a plan. Social settles first (priority 1), then
    commercial plans in priority order."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        ENDED = "ended", _("Ended")

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name=_("patient"),
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="policies", verbose_name=_("plan")
    )
    member_number = models.CharField(_("member number"), max_length=40)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    priority = models.PositiveSmallIntegerField(_("priority"), default=1)
    account_balance_fen = models.PositiveBigIntegerField(
        _("personal account balance (fen)"), default=0
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["patient", "priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "member_number"], name="insurance_one_policy_per_member_number"
            ),
            models.UniqueConstraint(
                fields=["patient", "plan"],
                condition=Q(status="active"),
                name="insurance_one_active_policy_per_plan",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="insurance_policy_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.member_number}"


class PolicyYear(models.Model):
    """The year-to-date accumulators of a policy; moved only under a row lock, by settlement
    and its reversal."""

    policy = models.ForeignKey(
        Policy, on_delete=models.PROTECT, related_name="years", verbose_name=_("policy")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    deductible_met_fen = models.PositiveBigIntegerField(_("deductible met (fen)"), default=0)
    pool_paid_fen = models.PositiveBigIntegerField(_("paid by the plan (fen)"), default=0)
    chronic_paid_fen = models.PositiveBigIntegerField(_("chronic disease paid (fen)"), default=0)
    # Extra annual cover from the year's health bonuses, on top of the version's maximum.
    bonus_cover_fen = models.PositiveBigIntegerField(_("health bonus cover (fen)"), default=0)

    class Meta:
        verbose_name = _("policy year")
        verbose_name_plural = _("policy years")
        constraints = [
            models.UniqueConstraint(fields=["policy", "year"], name="insurance_one_year_per_policy")
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.year}"


class Settlement(models.Model):
    """One expense settled with the patient's payers at the point of sale: quoted (预结算),
    confirmed (结算: the accumulators move) and, on a refund or cancellation, reversed (冲正)
    exactly once. The reference names the expense; a confirmed expense is never settled twice.
    """

    class Status(models.TextChoices):
        QUOTED = "quoted", _("Quoted")
        # The centre answered "success" to 2207 without confirming it: nothing moves until a
        # query (6301) says it is settled.
        PENDING = "pending", _("Awaiting the centre's confirmation")
        CONFIRMED = "confirmed", _("Settled")
        REVERSED = "reversed", _("Reversed")

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="settlements",
        verbose_name=_("patient"),
    )
    reference = models.CharField(
        _("expense"), max_length=80, help_text=_("What was bought, e.g. order:123.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUOTED
    )
    service_date = models.DateField(_("service date"))
    provider_level = models.CharField(
        _("provider level"), max_length=20, choices=ProviderLevel.choices, blank=True
    )
    quote_expires_at = models.DateTimeField(_("quote expires at"))
    social_policy = models.ForeignKey(
        Policy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("social policy"),
    )
    commercial_policy = models.ForeignKey(
        Policy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commercial policy"),
    )
    # What the settlement moves on each policy's year, so a reversal restores exactly that.
    social_deductible_fen = models.PositiveBigIntegerField(
        default=0, verbose_name=_("social deductible used (fen)")
    )
    social_pool_fen = models.PositiveBigIntegerField(
        default=0, verbose_name=_("social pool pays (fen)")
    )
    social_chronic_fen = models.PositiveBigIntegerField(
        default=0, verbose_name=_("of which chronic-disease cover (fen)")
    )
    account_fen = models.PositiveBigIntegerField(_("personal account (fen)"), default=0)
    commercial_deductible_fen = models.PositiveBigIntegerField(
        default=0, verbose_name=_("commercial deductible used (fen)")
    )
    commercial_fen = models.PositiveBigIntegerField(_("commercial plan (fen)"), default=0)
    billed_fen = models.PositiveBigIntegerField(_("billed (fen)"))
    cash_fen = models.PositiveBigIntegerField(_("patient pays (fen)"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("quoted at"))
    confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("confirmed at"))
    reversed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reversed at"))
    reversal_reason = models.CharField(_("reversal reason"), max_length=200, blank=True)
    setl_id = models.CharField(
        _("centre settlement id"),
        max_length=40,
        blank=True,
        db_index=True,
        help_text=_("The medical-insurance centre's settlement id (setl_id) from 2207 or 6202."),
    )
    pay_ord_id = models.CharField(
        _("payment order"),
        max_length=40,
        blank=True,
        help_text=_("The mobile-payment order (payOrdId) the fee upload 6201 opened."),
    )

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference"],
                condition=Q(status="confirmed"),
                name="insurance_one_confirmed_settlement_per_expense",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_status_display()}"

    @property
    def insurer_fen(self) -> int:
        """统筹 and the commercial plan together (hifp_pay + the insurer's share)."""
        return self.social_pool_fen + self.social_chronic_fen + self.commercial_fen


class SettlementLine(models.Model):
    """A line of a settlement with its split, in the interface's terms."""

    settlement = models.ForeignKey(
        Settlement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("settlement")
    )
    ref = models.CharField(_("line"), max_length=80)
    service_date = models.DateField(_("service date"))
    category = models.CharField(_("item category"), max_length=20, choices=Category.choices)
    code = models.CharField(_("item code"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)
    diagnoses = models.JSONField(_("diagnoses"), default=list, blank=True)
    billed_fen = models.PositiveBigIntegerField(_("billed (fen)"))
    ownpay_full_fen = models.PositiveBigIntegerField(_("fully self-paid (fen)"), default=0)
    preselfpay_fen = models.PositiveBigIntegerField(_("self-paid first portion (fen)"), default=0)
    deductible_fen = models.PositiveBigIntegerField(_("deductible (fen)"), default=0)
    pool_fen = models.PositiveBigIntegerField(_("pool (fen)"), default=0)
    account_fen = models.PositiveBigIntegerField(_("personal account (fen)"), default=0)
    commercial_fen = models.PositiveBigIntegerField(_("commercial plan (fen)"), default=0)
    cash_fen = models.PositiveBigIntegerField(_("patient pays (fen)"), default=0)
    # [[reason code, fen], ...]: rendered in the reader's language when read.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)

    class Meta:
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
        constraints = [
            models.UniqueConstraint(fields=["settlement", "ref"], name="insurance_line_ref_unique"),
            models.CheckConstraint(
                condition=Q(
                    billed_fen=models.F("pool_fen")
                    + models.F("account_fen")
                    + models.F("commercial_fen")
                    + models.F("cash_fen")
                ),
                name="insurance_line_parts_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.billed_fen}"


class Claim(models.Model):
    """A request to be reimbursed for an expense not settled at the point of sale: a paid order
    or consultation, or an outside receipt with its documents."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        IN_REVIEW = "in_review", _("In manual review")
        APPROVED = "approved", _("Approved")
        DENIED = "denied", _("Denied")
        PAID = "paid", _("Paid")

    class ReviewReason(models.TextChoices):
        OVER_THRESHOLD = "over_threshold", _("Over the amount the plan reviews by hand")
        MISSING_DOCUMENT = "missing_document", _("An outside receipt without documents")
        SUSPECTED_DUPLICATE = "suspected_duplicate", _("Looks like an expense already claimed")

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("patient"),
    )
    policy = models.ForeignKey(
        Policy, on_delete=models.PROTECT, related_name="claims", verbose_name=_("policy")
    )
    expense_reference = models.CharField(
        _("expense"),
        max_length=80,
        help_text=_("What is claimed, e.g. order:123, or the outside receipt's number."),
    )
    is_outside_receipt = models.BooleanField(_("outside receipt"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    review_reason = models.CharField(
        _("why in review"), max_length=30, choices=ReviewReason.choices, blank=True
    )
    billed_fen = models.PositiveBigIntegerField(_("billed (fen)"))
    approved_fen = models.PositiveBigIntegerField(_("approved (fen)"), default=0)
    # What the approval moved on the policy's year, so nothing is counted twice.
    deductible_used_fen = models.PositiveBigIntegerField(
        default=0, verbose_name=_("deductible used (fen)")
    )
    # The expense as its lines describe it (dates, codes, amounts), whatever its reference: the
    # same receipt claimed again under another number has the same fingerprint.
    fingerprint = models.CharField(
        max_length=64, editable=False, default="", verbose_name=_("expense fingerprint")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims_assigned",
        verbose_name=_("claims officer"),
    )
    assigned_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # The reimbursement of an approved claim, through the payments app; the claim is paid once
    # the payout succeeded.
    payout = models.OneToOneField(
        "payments.Payout",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payout"),
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The same expense is never paid twice: one claim per expense and policy, whatever
            # its state (a denied claim is decided; it is appealed, not filed again).
            models.UniqueConstraint(
                fields=["policy", "expense_reference"], name="insurance_one_claim_per_expense"
            ),
            models.CheckConstraint(
                condition=Q(approved_fen__lte=models.F("billed_fen")),
                name="insurance_claim_approved_at_most_billed",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="insurance_claim_queue"),
            models.Index(fields=["patient", "fingerprint"], name="insurance_claim_fingerprint"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.expense_reference}"


class ClaimLine(models.Model):
    class Decision(models.TextChoices):
        PENDING = "", _("Not decided")
        APPROVE = "approve", _("Approve")
        ADJUST = "adjust", _("Adjust")
        DENY = "deny", _("Deny")

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="lines", verbose_name=_("claim")
    )
    ref = models.CharField(_("line"), max_length=80)
    service_date = models.DateField(_("service date"))
    category = models.CharField(_("item category"), max_length=20, choices=Category.choices)
    code = models.CharField(_("item code"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)
    diagnoses = models.JSONField(_("diagnoses"), default=list, blank=True)
    billed_fen = models.PositiveBigIntegerField(_("billed (fen)"))
    # The engine's proposal, kept beside the decision so the officer sees both.
    proposed_fen = models.PositiveBigIntegerField(_("the rules propose (fen)"), default=0)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    approved_fen = models.PositiveBigIntegerField(_("approved (fen)"), default=0)
    decision_note = models.CharField(_("reason for the decision"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("claim line")
        verbose_name_plural = _("claim lines")
        constraints = [
            models.UniqueConstraint(fields=["claim", "ref"], name="insurance_claim_line_unique"),
            models.CheckConstraint(
                condition=Q(approved_fen__lte=models.F("billed_fen"))
                & Q(proposed_fen__lte=models.F("billed_fen")),
                name="insurance_claim_line_at_most_billed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.billed_fen}"


def claim_document_path(document: ClaimDocument, filename: str) -> str:
    # A random name: the uploaded one is not trusted and may identify the patient.
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
        document.content_type, "bin"
    )
    return f"claims/{document.claim_id}/{uuid.uuid4().hex}.{extension}"


class ClaimDocument(models.Model):
    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="documents", verbose_name=_("claim")
    )
    file = models.FileField(_("file"), upload_to=claim_document_path, max_length=200)
    content_type = models.CharField(_("content type"), max_length=50)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("uploaded at"))

    class Meta:
        verbose_name = _("claim document")
        verbose_name_plural = _("claim documents")

    def __str__(self) -> str:
        return self.file.name or ""


class ReconciliationRun(models.Model):
    """对账: one day's settlements held against the day's payments and refunds. The figures are
    the day's totals in fen; the differences are what an operator has to look into. Running a
    day again replaces its run, so there is one per day."""

    day = models.DateField(_("day"), unique=True)
    created_at = models.DateTimeField(_("run at"), auto_now_add=True)
    settlements_confirmed = models.PositiveIntegerField(_("settlements confirmed"), default=0)
    settlements_confirmed_fen = models.PositiveBigIntegerField(
        _("billed in settlements confirmed (fen)"), default=0
    )
    settlements_reversed = models.PositiveIntegerField(_("settlements reversed"), default=0)
    settlements_reversed_fen = models.PositiveBigIntegerField(
        _("billed in settlements reversed (fen)"), default=0
    )
    insurer_fen = models.PositiveBigIntegerField(_("paid by the insurers (fen)"), default=0)
    account_fen = models.PositiveBigIntegerField(_("paid by personal accounts (fen)"), default=0)
    cash_fen = models.PositiveBigIntegerField(_("patients' part in cash (fen)"), default=0)
    payments_captured = models.PositiveIntegerField(_("payments captured"), default=0)
    payments_captured_fen = models.PositiveBigIntegerField(_("payments captured (fen)"), default=0)
    payments_covered_fen = models.PositiveBigIntegerField(
        _("covered by insurance on those payments (fen)"), default=0
    )
    refunds = models.PositiveIntegerField(_("refunds"), default=0)
    refunds_fen = models.PositiveBigIntegerField(_("refunds (fen)"), default=0)
    differences_count = models.PositiveIntegerField(_("differences"), default=0)
    # The medical-insurance centre's totals of the day (3201) beside ours for the same
    # settlements: what the centre settled and still holds as settled.
    centre_settlements = models.PositiveIntegerField(_("settled at the centre"), default=0)
    centre_medfee_fen = models.PositiveBigIntegerField(_("fees at the centre (fen)"), default=0)
    centre_hifp_fen = models.PositiveBigIntegerField(_("pool at the centre (fen)"), default=0)
    centre_acct_fen = models.PositiveBigIntegerField(
        _("personal accounts at the centre (fen)"), default=0
    )
    social_settlements = models.PositiveIntegerField(_("settled with the centre here"), default=0)
    social_medfee_fen = models.PositiveBigIntegerField(_("fees settled here (fen)"), default=0)
    social_hifp_fen = models.PositiveBigIntegerField(_("pool settled here (fen)"), default=0)
    social_acct_fen = models.PositiveBigIntegerField(
        _("personal accounts settled here (fen)"), default=0
    )

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"


class ReconciliationDifference(models.Model):
    """Something the day's settlements and payments disagree on, with both sides' amounts."""

    class Kind(models.TextChoices):
        SETTLEMENT_WITHOUT_PAYMENT = (
            "settlement_without_payment",
            _("Settled, but the patient's part was never paid"),
        )
        PAYMENT_WITHOUT_SETTLEMENT = (
            "payment_without_settlement",
            _("Paid with insurance cover, but never settled"),
        )
        REFUND_WITHOUT_REVERSAL = (
            "refund_without_reversal",
            _("Refunded, but the settlement was not reversed"),
        )
        REVERSAL_WITHOUT_REFUND = (
            "reversal_without_refund",
            _("Reversed, but the patient's part was not refunded"),
        )
        AMOUNT_MISMATCH = (
            "amount_mismatch",
            _("The payment's amounts differ from the settlement's"),
        )
        CENTRE_TOTALS_MISMATCH = (
            "centre_totals_mismatch",
            _("The medical-insurance centre's totals of the day differ from ours"),
        )

    run = models.ForeignKey(
        ReconciliationRun,
        on_delete=models.CASCADE,
        related_name="differences",
        verbose_name=_("reconciliation run"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    reference = models.CharField(
        _("expense"), max_length=80, help_text=_("The settlement's or the payment's reference.")
    )
    settlement = models.ForeignKey(
        Settlement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("settlement"),
    )
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment"),
    )
    refund = models.ForeignKey(
        "payments.Refund",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refund"),
    )
    settlement_cash_fen = models.PositiveBigIntegerField(
        _("patient's part per settlement (fen)"), default=0
    )
    settlement_covered_fen = models.PositiveBigIntegerField(
        _("covered per settlement (fen)"), default=0
    )
    payment_fen = models.PositiveBigIntegerField(_("paid by the patient (fen)"), default=0)
    payment_covered_fen = models.PositiveBigIntegerField(_("covered per payment (fen)"), default=0)
    refunded_fen = models.PositiveBigIntegerField(_("refunded (fen)"), default=0)

    class Meta:
        verbose_name = _("reconciliation difference")
        verbose_name_plural = _("reconciliation differences")
        ordering = ["run", "kind", "reference", "id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_kind_display()}"


class IncentiveGrant(models.Model):
    """A month's health bonus to a policy: the figures it was granted on and what it gave.
    One per policy and month, so a task run twice grants nothing twice."""

    policy = models.ForeignKey(
        Policy, on_delete=models.PROTECT, related_name="incentive_grants", verbose_name=_("policy")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    days_recorded = models.PositiveSmallIntegerField(_("days with readings"))
    in_range_share_bp = models.PositiveIntegerField(_("share in range (basis points)"))
    bonus_fen = models.PositiveBigIntegerField(_("extra annual cover (fen)"))
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("health bonus")
        verbose_name_plural = _("health bonuses")
        ordering = ["policy", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "month"], name="insurance_one_incentive_per_policy_month"
            ),
            models.CheckConstraint(
                condition=Q(month__day=1), name="insurance_incentive_month_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.month:%Y-%m}"


class DrugCodeMapping(models.Model):
    """对码: a drug of our formulary (by its code) to the national medical-insurance drug code.
    A drug line whose code has no mapping in force cannot be uploaded to the centre, so it is
    self-paid in social settlement."""

    item_code = models.CharField(_("formulary drug code"), max_length=60, db_index=True)
    national_code = models.CharField(_("national drug code"), max_length=40)
    national_name = models.CharField(_("national name"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("drug code mapping")
        verbose_name_plural = _("drug code mappings")
        ordering = ["item_code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["item_code", "valid_from"], name="insurance_drug_code_mapping_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_code} → {self.national_code}"


class CentreSettlement(models.Model):
    """The built-in simulator's own ledger, as the centre keeps it: what it settled, so that
    cancel, reversal, query and the day's totals answer from the centre's side."""

    class Status(models.TextChoices):
        SETTLED = "settled", _("Settled")
        CANCELLED = "cancelled", _("Cancelled")
        REVERSED = "reversed", _("Reversed")
        REFUNDED = "refunded", _("Refunded")

    setl_id = models.CharField(_("settlement id"), max_length=40, unique=True)
    mdtrt_id = models.CharField(_("visit id"), max_length=80)
    psn_no = models.CharField(_("insured person number"), max_length=40)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    medfee_sumamt = models.BigIntegerField(_("total fees (fen)"))
    hifp_pay = models.BigIntegerField(_("pool pays (fen)"))
    acct_pay = models.BigIntegerField(_("personal account pays (fen)"))
    psn_cash_pay = models.BigIntegerField(_("cash (fen)"))
    setl_time = models.DateTimeField(_("settled at"))

    class Meta:
        verbose_name = _("centre settlement (simulator)")
        verbose_name_plural = _("centre settlements (simulator)")
        ordering = ["-setl_time"]

    def __str__(self) -> str:
        return self.setl_id


class PrescriptionUpload(models.Model):
    """7101: a prescription's circulation uploaded to the centre, with its result id; the
    simulator answers 7102-7105 from it."""

    reference = models.CharField(_("prescription"), max_length=80, unique=True)
    hi_rxno = models.CharField(_("centre prescription id"), max_length=40, blank=True)
    payload = models.JSONField(_("uploaded"), default=dict)
    status = models.CharField(_("status"), max_length=20, default="uploaded")
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("uploaded at"))

    class Meta:
        verbose_name = _("prescription upload")
        verbose_name_plural = _("prescription uploads")

    def __str__(self) -> str:
        return self.reference
