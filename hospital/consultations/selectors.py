"""Reads of consultations, scoped to who may see them: the patient's account and the treating
doctor. Anyone else gets NotFound, never a hint that the consultation exists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from hospital.consultations.models import (
    ACTIVE_STATUSES,
    Consultation,
    ConsultationMessage,
    MdtConsultation,
    MdtInvitation,
    PartnerDepartment,
    Referral,
)
from hospital.doctors.models import DoctorProfile
from hospital.doctors.rosters import doctor_is_on_duty
from hospital.doctors.selectors import doctors_practising
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


def consultation_get_for_treating_doctor(*, user: Any, consultation_id: int) -> Consultation:
    """The consultation for its treating doctor; anyone else, the patient too, gets NotFound.
    Routes only the treating doctor may use ask this before they read the request's body."""
    consultation = consultation_get_for_user(
        user=user, consultation_id=consultation_id, with_diagnoses=False
    )
    if consultation.doctor is None or consultation.doctor.user_id != getattr(user, "pk", None):
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
    """Waiting quick consults of the doctor's department, oldest first; empty for a doctor not
    on duty now (the queue is served by the full-time doctors on the roster)."""
    if not doctor_is_on_duty(doctor=doctor):
        return Consultation.objects.none()
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


def _mdt_visible_to(user: Any) -> Q:
    user_id = getattr(user, "pk", None)
    return (
        Q(requested_by__user_id=user_id)
        | Q(invitations__doctor__user_id=user_id)
        | Q(consultation__patient__account_id=user_id)
    )


def mdt_list_for_user(*, user: Any, role: str = "", status: str = "") -> QuerySet[MdtConsultation]:
    """The 会诊 this doctor was invited to (role "invited") or asked for ("requested"); both
    when no role is given. Newest first; invitations prefetched (constant queries)."""
    user_id = getattr(user, "pk", None)
    if role == "invited":
        scope = Q(invitations__doctor__user_id=user_id)
    elif role == "requested":
        scope = Q(requested_by__user_id=user_id)
    else:
        scope = Q(requested_by__user_id=user_id) | Q(invitations__doctor__user_id=user_id)
    queryset = (
        MdtConsultation.objects.filter(pk__in=MdtConsultation.objects.filter(scope).values("pk"))
        .select_related("consultation__patient", "consultation__department", "requested_by")
        .prefetch_related(
            Prefetch("invitations", queryset=MdtInvitation.objects.select_related("doctor"))
        )
        .order_by("-created_at", "-id")
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def mdt_invitation_queue(*, doctor: DoctorProfile) -> QuerySet[MdtInvitation]:
    """Invitations waiting for this doctor's answer in 会诊 still open: oldest first."""
    return (
        MdtInvitation.objects.filter(
            doctor=doctor,
            status__in=(MdtInvitation.Status.INVITED, MdtInvitation.Status.ACCEPTED),
            mdt__status=MdtConsultation.Status.OPEN,
            mdt__expires_at__gt=timezone.now(),
        )
        .select_related(
            "mdt__consultation__patient", "mdt__consultation__department", "mdt__requested_by"
        )
        .order_by("created_at", "id")
    )


def mdt_get_for_user(*, user: Any, mdt_id: int) -> MdtConsultation:
    """A 会诊 for its treating doctor, an invited doctor or the patient's account; anyone else
    gets NotFound."""
    mdt = (
        MdtConsultation.objects.filter(_mdt_visible_to(user), pk=mdt_id)
        .select_related(
            "consultation__patient",
            "consultation__department",
            "consultation__doctor",
            "requested_by",
        )
        .prefetch_related(
            Prefetch("invitations", queryset=MdtInvitation.objects.select_related("doctor")),
            "consultation__diagnoses",
        )
        .distinct()
        .first()
    )
    if mdt is None:
        raise NotFound(_("No such inter-doctor consultation."))
    return mdt


def mdt_list_for_consultation(*, consultation: Consultation) -> list[MdtConsultation]:
    return list(
        consultation.mdt_consultations.select_related("requested_by").prefetch_related(
            Prefetch("invitations", queryset=MdtInvitation.objects.select_related("doctor"))
        )
    )


def _referral_visible_to(user: Any) -> Q:
    user_id = getattr(user, "pk", None)
    return (
        Q(patient__account_id=user_id)
        | Q(referring_doctor__user_id=user_id)
        | Q(partner_department__clinic_doctor__user_id=user_id)
    )


def _referrals() -> QuerySet[Referral]:
    return Referral.objects.select_related(
        "patient",
        "referring_doctor",
        "referring_doctor__department",
        "partner_department__hospital",
        "partner_department__clinic_doctor",
        "appointment__slot",
        "consultation__department",
    )


def referral_list_for_user(*, user: Any, status: str = "") -> QuerySet[Referral]:
    """Referrals of the patients this account acts for, those this doctor wrote, and those to
    the partner clinic this doctor holds."""
    queryset = _referrals().filter(_referral_visible_to(user)).order_by("-created_at", "-id")
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def referral_get_for_user(*, user: Any, referral_id: int) -> Referral:
    """A referral for the patient's account, the referring doctor and the partner clinic's
    doctor; operators, who record what partners report back, see every one."""
    queryset = _referrals().prefetch_related("consultation__diagnoses").filter(pk=referral_id)
    if not user.has_perm("hospital.view_referral"):
        queryset = queryset.filter(_referral_visible_to(user))
    referral = queryset.first()
    if referral is None:
        raise NotFound(_("No such referral."))
    return referral


def partner_departments_taking_referrals() -> QuerySet[PartnerDepartment]:
    return (
        PartnerDepartment.objects.filter(is_active=True, hospital__is_active=True)
        .select_related("hospital", "specialty", "clinic_doctor")
        .order_by("hospital__city", "hospital__name", "name")
    )


def mdt_doctor_choices(*, consultation: Consultation) -> QuerySet[DoctorProfile]:
    """Doctors who may be invited: practising, other than the treating doctor."""
    return (
        doctors_practising()
        .exclude(pk=consultation.doctor_id or 0)
        .select_related("department")
        .order_by("department__ordering", "name")
    )
