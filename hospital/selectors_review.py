"""Reads for pharmacist review, renewals and the patient's own prescriptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.rules import is_pharmacist
from core.exceptions import NotFound
from hospital.models import (
    Prescription,
    PrescriptionFinding,
    PrescriptionItem,
    RenewalRequest,
)
from hospital.services.review import QUEUE_ORDER

S = Prescription.Status
# Statuses a patient sees: a draft is the doctor's until signed, a void one was never issued.
PATIENT_VISIBLE_STATUSES = (S.PENDING_REVIEW, S.APPROVED, S.REJECTED, S.EXPIRED)


def _items() -> Prefetch:
    return Prefetch(
        "items", queryset=PrescriptionItem.objects.select_related("drug").order_by("position", "id")
    )


def _findings() -> Prefetch:
    return Prefetch("findings", queryset=PrescriptionFinding.objects.order_by("id"))


def _pending_renewals() -> Prefetch:
    return Prefetch(
        "renewal_requests",
        queryset=RenewalRequest.objects.filter(status=RenewalRequest.Status.PENDING),
        to_attr="pending_renewals",
    )


def review_queue(*, now: dt.datetime | None = None) -> QuerySet[Prescription]:
    """Prescriptions waiting for review, in the order the queue hands them out."""
    today = timezone.localdate(now or timezone.now())
    return (
        Prescription.objects.filter(status=S.PENDING_REVIEW, valid_until__gte=today)
        .select_related("doctor", "doctor__department", "patient", "review_lease_holder")
        .order_by(*QUEUE_ORDER)
    )


def review_prescription_get(*, pharmacist: Any, prescription_id: int) -> Prescription:
    """A signed prescription with its items and findings, for a pharmacist."""
    prescription = (
        Prescription.objects.filter(pk=prescription_id)
        .exclude(status__in=(S.DRAFT, S.VOID))
        .select_related(
            "doctor",
            "doctor__department",
            "patient",
            "consultation",
            "reviewed_by",
            "review_lease_holder",
        )
        .prefetch_related(_items(), _findings())
        .first()
    )
    if prescription is None or not is_pharmacist(pharmacist):
        raise NotFound(_("No such prescription."))
    return prescription


def prescription_list_for_account(*, account: Any, status: str = "") -> QuerySet[Prescription]:
    """The issued prescriptions of everyone this account acts for, newest first, with items and
    any renewal request waiting."""
    queryset = Prescription.objects.filter(
        patient__account_id=getattr(account, "pk", None), status__in=PATIENT_VISIBLE_STATUSES
    )
    if status:
        queryset = queryset.filter(status=status)
    return (
        queryset.select_related("doctor", "doctor__department", "patient")
        .prefetch_related(_items(), _pending_renewals())
        .order_by("-created_at", "-id")
    )


def renewal_request_list(*, user: Any, status: str = "") -> QuerySet[RenewalRequest]:
    """Renewal requests for prescriptions this doctor wrote, or that this account made.
    Pending first, oldest first as a queue ("pending" sorts after "declined" and "accepted")."""
    user_id = getattr(user, "pk", None)
    queryset = RenewalRequest.objects.filter(
        Q(prescription__doctor__user_id=user_id) | Q(patient__account_id=user_id)
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.select_related(
        "prescription",
        "prescription__doctor",
        "patient",
        "follow_up_consultation",
    ).order_by("-status", "created_at", "id")
