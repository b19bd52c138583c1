"""The access log: who read or changed whose health data, when, from where, with what outcome.

Rows are append-only through the application and chained: each row's HMAC covers its own
canonical content and the previous row's HMAC, so `manage.py audit_verify` finds a row that was
changed, removed or slipped in by anyone who could write to the table but does not hold
AUDIT_HMAC_KEY.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """The access log is append-only: rows are never changed or deleted by the application."""


class AccessLogQuerySet(models.QuerySet["AccessLogEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("access log entries cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("access log entries cannot be deleted")


class AccessLogEntry(models.Model):
    class Action(models.TextChoices):
        READ = "read", _("Read")
        LIST = "list", _("List")
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        DELETE = "delete", _("Delete")
        EXPORT = "export", _("Export")

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Success")
        DENIED = "denied", _("Denied")
        NOT_FOUND = "not_found", _("Not found")

    # Position in the chain, from 1 with no gaps; the chain is walked in this order.
    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True, editable=False)
    occurred_at = models.DateTimeField(_("time"), db_index=True, editable=False)
    # No database constraint and no cascade: an entry outlives whatever it names, and the
    # ids it recorded are part of its signed content.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_role = models.CharField(_("actor role"), max_length=100, blank=True)
    # A denied or not-found attempt may name a patient that does not exist: no constraint.
    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("patient"),
    )
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    client_ip = models.CharField(_("client IP"), max_length=45, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    previous_hmac = models.CharField(max_length=64, blank=True, editable=False)
    entry_hmac = models.CharField(max_length=64, editable=False)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-sequence"]
        indexes = [
            models.Index(fields=["patient", "-sequence"], name="audit_patient_recent"),
            models.Index(fields=["actor", "-sequence"], name="audit_actor_recent"),
        ]

    def __str__(self) -> str:
        target = f"{self.object_type}:{self.object_id}"
        return f"#{self.sequence} {self.action} {target} ({self.outcome})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("access log entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("access log entries cannot be deleted")

    def canonical_content(self) -> str:
        """The signed content: every recorded fact plus the link to the previous entry."""
        return json.dumps(
            {
                "sequence": self.sequence,
                "occurred_at": self.occurred_at.astimezone(UTC).isoformat(),
                "actor_id": self.actor_id,
                "actor_role": self.actor_role,
                "patient_id": self.patient_id,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "action": self.action,
                "outcome": self.outcome,
                "request_id": self.request_id,
                "client_ip": self.client_ip,
                "detail": self.detail,
                "previous_hmac": self.previous_hmac,
            },
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )

    def compute_hmac(self) -> str:
        key = settings.AUDIT_HMAC_KEY.encode()
        return hmac.new(key, self.canonical_content().encode(), hashlib.sha256).hexdigest()
