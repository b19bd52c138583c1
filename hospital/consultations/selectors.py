"""Reads of consultations, scoped to who may see them: the patient's account and the treating
doctor. Anyone else gets NotFound, never a hint that the consultation exists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from hospital.consultations.models import ACTIVE_STATUSES, Consultation, ConsultationMessage
from hospital.doctors.models import DoctorProfile
from hospital.rules import figure


def _visible_to(user: Any) -> Q:
    user_id = getattr(user, "pk", None)
    return Q(patient__account_id=user_id) | Q(doctor__user_id=user_id)


def consultation_list_for_user(
    *, user: Any, status: str = "", kind: str = ""
) -> QuerySet[Consultation]:
    """The consultations of the patients this account acts for, and those it treats."""
    queryset = (
        Consultation.objects.filter(_visible_to(user))
        .select_related("patient", "doctor", "department", "appointment__slot")
        .order_by("-created_at", "-id")
    )
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset


def consultation_get_for_user(
    *, user: Any, consultation_id: int, with_diagnoses: bool = True
) -> Consultation:
    queryset = Consultation.objects.filter(_visible_to(user), pk=consultation_id).select_related(
        "patient",
        "doctor",
        "doctor__user",
        "department",
        "appointment__slot",
        "referral_department",
    )
    if with_diagnoses:
        queryset = queryset.prefetch_related("diagnoses")
    consultation = queryset.first()
    if consultation is None:
        raise NotFound(_("No such consultation."))
    return consultation


@dataclass(frozen=True)
class MessagePage:
    messages: list[ConsultationMessage]
    next_cursor: int
    has_more: bool


def consultation_messages_after(*, consultation: Consultation, after: int = 0) -> MessagePage:
    """Messages with an id above the cursor, oldest first, in one query whatever the history's
    length. `next_cursor` is the last id returned (or the given cursor when nothing is new)."""
    limit = figure("CONSULTATION_MESSAGES_PER_POLL")
    messages = list(
        ConsultationMessage.objects.filter(consultation=consultation, id__gt=after).order_by("id")[
            : limit + 1
        ]
    )
    has_more = len(messages) > limit
    messages = messages[:limit]
    return MessagePage(
        messages=messages,
        next_cursor=messages[-1].pk if messages else after,
        has_more=has_more,
    )


def consultation_message_get_for_user(
    *, user: Any, consultation_id: int, message_id: int
) -> ConsultationMessage:
    message = (
        ConsultationMessage.objects.filter(
            Q(consultation__patient__account_id=user.pk) | Q(consultation__doctor__user_id=user.pk),
            pk=message_id,
            consultation_id=consultation_id,
        )
        .exclude(attachment="")
        .select_related("consultation")
        .first()
    )
    if message is None:
        raise NotFound(_("No such attachment."))
    return message


def quick_consult_queue(*, doctor: DoctorProfile) -> QuerySet[Consultation]:
    """Waiting quick consults of the doctor's department, oldest first."""
    return (
        Consultation.objects.filter(
            department_id=doctor.department_id,
            kind=Consultation.Kind.QUICK,
            status=Consultation.Status.WAITING,
        )
        .select_related("patient")
        .order_by("created_at", "id")
    )


def doctor_consultations_today(
    *, doctor: DoctorProfile, today: dt.date | None = None
) -> QuerySet[Consultation]:
    """The doctor's open consultations, and those opened or closed today."""
    today = today or timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    end = start + dt.timedelta(days=1)
    return (
        Consultation.objects.filter(doctor=doctor)
        .filter(
            Q(status__in=ACTIVE_STATUSES)
            | Q(opened_at__gte=start, opened_at__lt=end)
            | Q(closed_at__gte=start, closed_at__lt=end)
        )
        .select_related("patient", "department", "appointment__slot")
        .order_by("opened_at", "id")
    )


def follow_up_evidence_choices(*, consultation: Consultation) -> QuerySet[Any]:
    """The patient's current documents a doctor may cite as evidence of the prior diagnosis.

    The document model is reached through the evidence field rather than imported, so this
    room stays below the health record that depends on it."""
    document: Any = Consultation.follow_up_evidence.field.related_model
    return document.objects.filter(
        patient_id=consultation.patient_id, status=document.Status.CURRENT
    ).order_by("-document_date", "-id")
