"""Departments, doctors, what they offer, and the certificates that let them practise."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
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
