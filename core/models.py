from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an Idempotency-Key, kept to replay it.

    A row is claimed (status IN_PROGRESS) before the operation runs, so a concurrent duplicate
    finds it and is refused instead of running the operation a second time.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "in progress"
        COMPLETED = "completed", "completed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class StatusChangeEvent(models.Model):
    """One move of an object from one status to another: who moved it, when and why.

    Appointments, consultations and orders keep one row per transition; a concrete subclass adds
    the foreign key to its object.
    """

    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class OutboxMessage(models.Model):
    """Work for the Celery worker, written in the same transaction as the change that calls for
    it, so that a broker down at commit time delays the work instead of losing it.

    The relay (right after commit, then every minute from beat) publishes the rows not yet sent;
    a row may be published twice (a relay that dies between publishing and marking), so every
    task it names does nothing twice.
    """

    task_name = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_unsent_by_age",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_name} ({'sent' if self.sent_at else 'unsent'})"
