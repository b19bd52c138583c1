"""A notification is one message to one person: a row in their in-app inbox, plus one delivery
row per outside channel (email now; SMS and push later) that records whether it went out."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from core.system_text import system_text_render

# Quiet hours are kept in the person's own clock; the hospital's is the default.
DEFAULT_TIME_ZONE = "Asia/Shanghai"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    # A free key such as "prescription.approved"; notifications.kinds describes the known ones.
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    # The source of subject and body with their parameters (core.system_text), so the inbox
    # reads in the reader's language; subject and body hold them as rendered when sent.
    subject_msgid = models.CharField(_("subject source"), max_length=300, blank=True)
    body_msgid = models.TextField(_("body source"), blank=True)
    text_params = models.JSONField(_("text parameters"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    # Names the event this notification is about, so the same event never notifies twice.
    dedupe_key = models.CharField(_("dedupe key"), max_length=255, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient_id}"

    @property
    def subject_text(self) -> str:
        params = self.text_params.get("subject") if self.text_params else None
        return system_text_render(self.subject_msgid, params, fallback=self.subject)

    @property
    def body_text(self) -> str:
        params = self.text_params.get("body") if self.text_params else None
        return system_text_render(self.body_msgid, params, fallback=self.body)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationDelivery(models.Model):
    """One attempt to carry a notification over one channel, sent at most once."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat subscription message")
        PUSH = "push", _("Push")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("notification"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # Where it went (an address or number), kept as sent in case the account later changes it.
    address = models.CharField(_("address"), max_length=254, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # Set on a copy sent to a caregiver; empty on the recipient's own deliveries.
    caregiver = models.ForeignKey(
        "notifications.Caregiver",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("caregiver"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"],
                condition=models.Q(caregiver__isnull=True),
                name="notification_delivery_once_per_channel",
            ),
            models.UniqueConstraint(
                fields=["notification", "caregiver", "channel"],
                condition=models.Q(caregiver__isnull=False),
                name="notification_delivery_copy_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"


class NotificationSettings(models.Model):
    """How one person wants to be reached: the language outside messages are written in, a
    phone for SMS, and the quiet hours in which only critical notices go out."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_settings",
        verbose_name=_("user"),
    )
    language = models.CharField(
        _("language"), max_length=16, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    phone = PhoneNumberField(_("phone for SMS"), region="CN", blank=True)
    quiet_hours_enabled = models.BooleanField(_("quiet hours on"), default=True)
    quiet_hours_start = models.TimeField(_("quiet hours start"), default=dt.time(22, 0))
    quiet_hours_end = models.TimeField(_("quiet hours end"), default=dt.time(8, 0))
    time_zone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_TIME_ZONE)
    # The person's openid with the hospital's WeChat service: where subscription messages go.
    wechat_openid = models.CharField(_("WeChat openid"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"


class ScheduledNotification(models.Model):
    """A notice to send at a set time (a reminder), kept as a row until a periodic scan finds it
    due: a far-future Celery ETA would be redelivered by Redis past its visibility timeout."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="scheduled_notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=64)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    subject_msgid = models.CharField(_("subject source"), max_length=300, blank=True)
    body_msgid = models.TextField(_("body source"), blank=True)
    text_params = models.JSONField(_("text parameters"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    # Critical notices (a safety alert) go out in the recipient's quiet hours too.
    critical = models.BooleanField(_("critical"), default=False)
    # The key of the notification it becomes, so it is written once however often it is claimed.
    dedupe_key = models.CharField(_("dedupe key"), max_length=255, unique=True)
    due_at = models.DateTimeField(_("due at"))
    # When first due, kept as scheduled when quiet hours move due_at later.
    scheduled_for = models.DateTimeField(_("scheduled for"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    notification = models.OneToOneField(
        Notification,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scheduled_from",
        verbose_name=_("notification"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled notification")
        verbose_name_plural = _("scheduled notifications")
        ordering = ["due_at", "id"]
        indexes = [
            # The scan reads only pending rows in due order; sent ones pile up beside them.
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(status="pending"),
                name="scheduled_notification_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dedupe_key} at {self.due_at:%Y-%m-%d %H:%M}"


class NotificationPreference(models.Model):
    """Whether one person wants one kind of notice over one outside channel; no row is the
    channel's default (notifications.selectors.CHANNEL_DEFAULTS). The inbox always gets it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=64)
    channel = models.CharField(
        _("channel"), max_length=16, choices=NotificationDelivery.Channel.choices
    )
    enabled = models.BooleanField(_("enabled"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "channel"], name="notification_preference_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.channel}: {self.enabled}"


class WechatSubscription(models.Model):
    """A person's consent to receive one kind of notice as a WeChat subscription message.

    WeChat lets a service send a subscription message only with the user's consent: a
    long-term subscription (granted once, any number of messages) exists only for categories
    such as medical services; a one-time consent allows exactly one message, then it is used."""

    class Mode(models.TextChoices):
        LONG_TERM = "long_term", _("Long-term")
        ONE_TIME = "one_time", _("One-time")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wechat_subscriptions",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=64)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    # A one-time consent is spent by the message it allowed; a long-term one until withdrawn.
    used_by = models.OneToOneField(
        Notification,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="wechat_consent",
        verbose_name=_("used by"),
    )
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("WeChat subscription")
        verbose_name_plural = _("WeChat subscriptions")
        ordering = ["granted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"],
                condition=models.Q(mode="long_term", withdrawn_at__isnull=True),
                name="wechat_long_term_once_per_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "kind"],
                condition=models.Q(used_at__isnull=True, withdrawn_at__isnull=True),
                name="wechat_subscription_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.mode}"


class Caregiver(models.Model):
    """A family member on the account (a 就诊人 profile, as its guardian added them) who gets
    copies of the kinds of notice the account holder chose, by SMS to the member's phone."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="caregivers",
        verbose_name=_("account"),
    )
    family_member = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("family member"),
    )
    kinds = models.JSONField(_("kinds copied"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("caregiver")
        verbose_name_plural = _("caregivers")
        ordering = ["account_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "family_member"], name="caregiver_once_per_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} → {self.family_member_id}"
