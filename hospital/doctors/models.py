"""Departments, doctors, what they offer, and the certificates that let them practise."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, get_language_info, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ConsultationMode(models.TextChoices):
    TEXT = "text", pgettext_lazy("consultation mode", "Text")
    VIDEO = "video", pgettext_lazy("consultation mode", "Video")
    PHONE = "phone", pgettext_lazy("consultation mode", "Phone")


class Department(models.Model):
    """A clinical department (科室)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent department"),
    )
    ordering = models.PositiveSmallIntegerField(_("ordering"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["ordering", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def description(self) -> str:
        english = (get_language() or "").startswith("en")
        return self.description_en if english else self.description_zh


def doctor_photo_path(instance: DoctorProfile, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"doctors/{instance.pk or 'new'}/photo.{extension}"


class DoctorProfile(models.Model):
    class Title(models.TextChoices):
        CHIEF = "chief", _("Chief physician (主任医师)")
        ASSOCIATE_CHIEF = "associate_chief", _("Associate chief physician (副主任医师)")
        ATTENDING = "attending", _("Attending physician (主治医师)")
        RESIDENT = "resident", _("Resident physician (住院医师)")

    class Tier(models.TextChoices):
        FULL_TIME = "full_time", _("Full-time on-duty doctor")
        CONTRACTED = "contracted", _("Contracted doctor")
        EXPERT = "expert", _("Expert")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="doctor_profile",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=50)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="doctors", verbose_name=_("department")
    )
    title = models.CharField(_("title"), max_length=20, choices=Title.choices)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    bio = models.TextField(_("biography"), blank=True)
    photo = models.ImageField(_("photo"), upload_to=doctor_photo_path, blank=True)
    specialties = models.CharField(_("specialties"), max_length=300, blank=True)
    years_of_practice = models.PositiveSmallIntegerField(_("years of practice"), default=0)
    languages = models.CharField(
        _("languages"), max_length=100, default="zh", help_text=_("Comma separated, e.g. zh,en")
    )
    rating = models.DecimalField(
        _("rating"),
        max_digits=2,
        decimal_places=1,
        default=Decimal("5.0"),
        validators=[MinValueValidator(0), MaxValueValidator(5)],
    )
    rating_count = models.PositiveIntegerField(_("number of ratings"), default=0)
    is_suspended = models.BooleanField(_("suspended"), default=False)
    suspension_reason = models.CharField(_("suspension reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("doctor")
        verbose_name_plural = _("doctors")
        ordering = ["department__ordering", "-rating", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=0) & Q(rating__lte=5), name="doctor_rating_0_to_5"
            ),
            models.CheckConstraint(
                condition=Q(is_suspended=False) | ~Q(suspension_reason=""),
                name="doctor_suspension_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_title_display()})"

    @property
    def initials(self) -> str:
        """What the avatar shows when there is no photo: the surname of a Chinese name (as
        patients address a doctor, 李医生), the first letters of a name written in Latin."""
        name = self.name.strip()
        if not name:
            return "?"
        if not name.isascii():
            return name[0]
        return "".join(word[0] for word in name.split()[:2]).upper()

    @property
    def language_list(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]

    @property
    def language_names(self) -> str:
        """The languages the doctor consults in, each named in itself ("中文, English"), as a
        reader of either language recognises their own."""
        return ", ".join(language_name(code) for code in self.language_list)


# Language codes → the language's own name. Codes outside the list are shown by Django's name
# for them, or as typed.
LANGUAGE_NAMES = {"zh": "中文", "en": "English", "yue": "粵語", "ja": "日本語", "ko": "한국어"}


def language_name(code: str) -> str:
    if code in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[code]
    try:
        return str(get_language_info(code)["name_local"])
    except KeyError:
        return code


class DoctorService(models.Model):
    """A consultation mode a doctor offers, at its fee."""

    doctor = models.ForeignKey(
        DoctorProfile, on_delete=models.CASCADE, related_name="services", verbose_name=_("doctor")
    )
    mode = models.CharField(_("mode"), max_length=8, choices=ConsultationMode.choices)
    fee = models.DecimalField(
        _("fee (CNY)"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("consultation service")
        verbose_name_plural = _("consultation services")
        ordering = ["doctor_id", "mode"]
        constraints = [
            models.UniqueConstraint(fields=["doctor", "mode"], name="doctor_service_unique_mode"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="doctor_service_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} ¥{self.fee}"

    @property
    def quoted_fee(self) -> Decimal:
        """What a patient pays: the doctor's fee held within their tier's band. The band comes
        annotated by the selectors (`tier_fee_floor`, `tier_fee_ceiling`); without it the fee
        stands as set."""
        floor = getattr(self, "tier_fee_floor", None)
        ceiling = getattr(self, "tier_fee_ceiling", None)
        fee = self.fee
        if floor is not None:
            fee = max(fee, floor)
        if ceiling is not None:
            fee = min(fee, ceiling)
        return fee


def credential_scan_path(instance: Credential, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"credentials/{instance.doctor_id}/{instance.kind}-{instance.number}.{extension}"


class Credential(models.Model):
    """A certificate a doctor must hold, verified by an operator against the scan."""

    class Kind(models.TextChoices):
        QUALIFICATION = "qualification", _("Physician qualification certificate (医师资格证)")
        PRACTICE = "practice", _("Physician practice certificate (医师执业证)")
        TITLE = "title", _("Professional title certificate (职称证)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")

    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.PROTECT,
        related_name="credentials",
        verbose_name=_("doctor"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    number = models.CharField(_("certificate number"), max_length=40)
    authority = models.CharField(_("issuing authority"), max_length=100)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    practice_scope = models.CharField(_("practice scope"), max_length=100, blank=True)
    registered_institution = models.CharField(
        _("registered institution"), max_length=100, blank=True
    )
    scan = models.FileField(_("scan"), upload_to=credential_scan_path)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    rejection_reason = models.CharField(_("rejection reason"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    expiry_warned_on = models.DateField(_("expiry warning sent on"), null=True, blank=True)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        ordering = ["doctor_id", "kind", "-created_at"]
        indexes = [models.Index(fields=["status", "expires_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="credential_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=models.F("issued_on")),
                name="credential_expires_after_issue",
            ),
            # A number identifies one certificate: the same one cannot be filed twice while
            # it is live (a rejected or expired filing may be replaced).
            models.UniqueConstraint(
                fields=["kind", "number"],
                condition=Q(status__in=["pending", "verified"]),
                name="credential_unique_live_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class TierPolicy(models.Model):
    """What a tier promises patients: the band its consultation fees are held within, and how
    soon it answers (a full-time doctor takes a quick consult; an expert's assistant confirms a
    request). Operators edit it in the admin; a tier without a policy has no band and no
    promise."""

    tier = models.CharField(
        _("tier"), max_length=20, choices=DoctorProfile.Tier.choices, unique=True
    )
    fee_floor = models.DecimalField(
        _("lowest fee (CNY)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("A consultation of this tier costs at least this much."),
    )
    fee_ceiling = models.DecimalField(
        _("highest fee (CNY)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("A consultation of this tier costs at most this much."),
    )
    response_minutes = models.PositiveIntegerField(
        _("response promise (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Full-time: a quick consult is taken within this time. Expert: the assistant "
            "confirms a request within this time, or it is refunded."
        ),
    )
    description_zh = models.CharField(_("what patients read (Chinese)"), max_length=200)
    description_en = models.CharField(_("what patients read (English)"), max_length=200)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policies")
        ordering = ["tier"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fee_floor__gte=0) & Q(fee_ceiling__gte=models.F("fee_floor")),
                name="tier_policy_fee_band_in_order",
            ),
            models.CheckConstraint(
                condition=Q(response_minutes__isnull=True) | Q(response_minutes__gte=1),
                name="tier_policy_response_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_tier_display())

    @property
    def description(self) -> str:
        return (
            self.description_en
            if (get_language() or "").startswith("en")
            else (self.description_zh)
        )

    def fee_within_band(self, fee: Decimal) -> Decimal:
        return min(max(fee, self.fee_floor), self.fee_ceiling)


class DutyShift(models.Model):
    """A time a full-time doctor is on duty: only then do they serve the 24×7 quick-consult
    queue. Times are stored aware and entered and shown in Asia/Shanghai."""

    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.CASCADE,
        related_name="duty_shifts",
        verbose_name=_("doctor"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty roster")
        ordering = ["starts_at", "doctor_id"]
        indexes = [models.Index(fields=["doctor", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="duty_shift_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        start, end = timezone.localtime(self.starts_at), timezone.localtime(self.ends_at)
        return f"{self.doctor.name} {start:%Y-%m-%d %H:%M}–{end:%m-%d %H:%M}"


class ExpertAssistant(models.Model):
    """An account that handles an expert's requests (confirms them into a booked slot, or
    declines them) on the expert's behalf."""

    expert = models.ForeignKey(
        DoctorProfile,
        on_delete=models.CASCADE,
        related_name="assistants",
        verbose_name=_("expert"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assisted_experts",
        verbose_name=_("assistant account"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("expert's assistant")
        verbose_name_plural = _("experts' assistants")
        ordering = ["expert_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["expert", "user"], name="expert_assistant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.expert.name}"
