"""Reads of audit, with the joins each caller needs."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import PatientProfile
from audit.models import AccessLogEntry
from core.exceptions import NotFound


def access_log_for_patient(*, account: Any, patient_id: int) -> QuerySet[AccessLogEntry]:
    """Who looked at or changed this patient's record, newest first, for the account that acts
    for the patient. Another account's patient is not found."""
    if not PatientProfile.objects.filter(pk=patient_id, account=account).exists():
        raise NotFound(_("Patient not found."))
    return (
        AccessLogEntry.objects.filter(patient_id=patient_id)
        .select_related("actor")
        .order_by("-sequence")
    )
