"""Reads of audit, with the joins each caller needs."""

from __future__ import annotations

from django.db.models import QuerySet

from audit.models import AccessLogEntry


def access_log_for_patient(*, patient_id: int) -> QuerySet[AccessLogEntry]:
    """Who looked at or changed this patient's record, newest first. Whether the asker may see
    it is accounts' question (patient_access_log): the log sits below every app."""
    return (
        AccessLogEntry.objects.filter(patient_id=patient_id)
        .select_related("actor")
        .order_by("-sequence")
    )
