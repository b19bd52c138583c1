from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from accounts.roles import STAFF_ROLES, Role
from accounts.validators import mask_resident_id, validate_resident_id


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields: object) -> User:
        if not email:
            raise ValueError("an email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields: object) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(
        self, email: str, password: str | None = None, **extra_fields: object
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """An account. People log in with their email address; roles are groups (accounts.roles)."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[assignment,misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def role_names(self) -> frozenset[str]:
        # Cached per instance: checked on every request by middleware and permissions.
        cached = getattr(self, "_role_names", None)
        if cached is None:
            cached = (
                frozenset(self.groups.values_list("name", flat=True)) if self.pk else frozenset()
            )
            self._role_names = cached
        return cached

    def has_role(self, role: Role | str) -> bool:
        return str(role) in self.role_names

    @property
    def is_clinical_or_staff(self) -> bool:
        """Doctors, pharmacists, claims officers, operators and superusers."""
        return self.is_superuser or bool(self.role_names & {str(r) for r in STAFF_ROLES})


class PatientProfile(models.Model):
    """A person an account acts for (就诊人): the holder themself, a child, a parent..."""

    class Relationship(models.TextChoices):
        SELF = "self", _("Self")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        SPOUSE = "spouse", _("Spouse")
        SIBLING = "sibling", _("Sibling")
        OTHER = "other", _("Other relative")

    class Sex(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="patient_profiles",
        verbose_name=_("account"),
    )
    relationship = models.CharField(_("relationship"), max_length=16, choices=Relationship.choices)
    real_name = models.CharField(_("real name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    resident_id_number = models.CharField(
        _("resident ID number"), max_length=18, validators=[validate_resident_id]
    )
    phone = PhoneNumberField(_("phone"), region="CN", blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("patient profile")
        verbose_name_plural = _("patient profiles")
        ordering = ["account_id", "id"]
        constraints = [
            # One person once per account; an account has at most one "self".
            models.UniqueConstraint(
                fields=["account", "resident_id_number"], name="patient_profile_unique_person"
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(relationship="self"),
                name="patient_profile_one_self_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.real_name} ({self.masked_resident_id})"

    @property
    def masked_resident_id(self) -> str:
        return mask_resident_id(self.resident_id_number)

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())


class ConsentRecord(models.Model):
    """A person's acceptance of the user agreement and privacy policy, in the versions shown to
    them, including the separate consent to processing their health information (sensitive
    personal information, PIPL art. 29). Kept as evidence: never edited, a new acceptance (of a
    new version) is a new row."""

    class Channel(models.TextChoices):
        WEB = "web", _("Website")
        APP = "app", _("App")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="consent_records",
        verbose_name=_("account"),
    )
    terms_version = models.CharField(_("user agreement version"), max_length=40)
    privacy_version = models.CharField(_("privacy policy version"), max_length=40)
    sensitive_information = models.BooleanField(
        _("separate consent to health information"), default=True
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["user_id", "-accepted_at"]
        indexes = [models.Index(fields=["user", "-accepted_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.terms_version} / {self.privacy_version}"


class AccountSession(models.Model):
    """A session an account is signed in with: a browser's cookie or an app's session token
    (both are Django sessions). Django's session table knows a session only by an opaque key;
    this row ties it to its account, so that every session of an account can be ended at once
    when it logs out, changes its password or is disabled."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="signed_in_sessions",
        verbose_name=_("account"),
    )
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    signed_in_at = models.DateTimeField(_("signed in at"), default=timezone.now)

    class Meta:
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")
        indexes = [models.Index(fields=["user", "signed_in_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.signed_in_at:%Y-%m-%d %H:%M}"


class LoginLockout(models.Model):
    """Login attempts for one email address from one client address, counted before the
    password is checked. After LOGIN_FAILURE_LIMIT attempts without a success the pair is
    locked for LOGIN_LOCKOUT_DURATION; a successful login removes the row."""

    email = models.CharField(_("email address"), max_length=254)
    client_address = models.CharField(_("client address"), max_length=45)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("login lockout")
        verbose_name_plural = _("login lockouts")
        constraints = [
            models.UniqueConstraint(
                fields=["email", "client_address"], name="login_lockout_unique_email_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} @ {self.client_address}"
