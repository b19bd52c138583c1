"""Inter-doctor consultation (会诊 / MDT): the treating doctor invites specialists with a
question; each accepts (and from then may open the patient's record) or declines, then gives an
opinion; the treating doctor closes it. Access ends when it is closed or at `expires_at`,
whichever comes first, whether or not the expiry scan has run yet. Only the treating doctor
ever prescribes: an invited doctor is never the consultation's doctor.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts.models import PatientProfile
from audit.services import access_log_record
from core.actors import acting_user
from core.exceptions import Conflict, DomainError, NotFound
from core.system_text import system_text
from core.transitions import status_change
from hospital.consultations.models import MdtConsultation, MdtInvitation
from hospital.consultations.services.visits import (
    consultation_locked_for_treating_doctor,
    consultation_require_open,
    consultation_system_message_add,
)
from hospital.doctors.models import DoctorProfile
from hospital.doctors.services import doctor_check_may_practise, doctor_may_practise
from hospital.rules import figure
from notifications.kinds import kind_register
from notifications.services import notification_send

M = MdtConsultation.Status
I = MdtInvitation.Status  # noqa: E741  (the invitation's statuses, as S is elsewhere)

# The reason the access log gives when an invited specialist opens the record.
MDT_ACCESS_REASON = "mdt_specialist"

kind_register("hospital.mdt_invited", gettext_lazy("Invitation to an inter-doctor consultation"))
kind_register("hospital.mdt_answered", gettext_lazy("Specialist opinion received"))
kind_register("hospital.mdt_closed", gettext_lazy("Inter-doctor consultation closed"))


def _link(mdt: MdtConsultation) -> str:
    return f"/mdt/{mdt.pk}/"


def _notify(recipient: Any, *, kind: str, key: str, subject: Any, body: Any, link: str) -> None:
    transaction.on_commit(
        functools.partial(
            notification_send,
            recipient=recipient,
            kind=kind,
            subject=subject,
            body=body,
            dedupe_key=key,
            link=link,
            send_email=False,
        )
    )


def _audit(actor: Any, mdt: MdtConsultation, action: str, detail: str) -> None:
    access_log_record(
        actor=acting_user(actor),
        patient_id=mdt.consultation.patient_id,
        object_type="mdtconsultation",
        object_id=mdt.pk,
        action=action,
        detail=detail,
    )


def mdt_is_live(mdt: MdtConsultation, now: dt.datetime | None = None) -> bool:
    """Open and not past its end: the invited doctors' access holds."""
    return mdt.status == M.OPEN and (now or timezone.now()) < mdt.expires_at


def _require_live(mdt: MdtConsultation) -> None:
    if not mdt_is_live(mdt):
        raise Conflict(_("This inter-doctor consultation has ended."), code="mdt_not_open")


def _invited_doctors(doctor_ids: Any, treating: DoctorProfile) -> list[DoctorProfile]:
    if not isinstance(doctor_ids, list | tuple) or not doctor_ids:
        raise DomainError(_("Invite at least one specialist."), field="doctors")
    try:
        wanted = list(dict.fromkeys(int(pk) for pk in doctor_ids))
    except (TypeError, ValueError) as error:
        raise DomainError(_("Choose doctors from the list."), field="doctors") from error
    if len(wanted) > figure("MDT_MAX_INVITED_DOCTORS"):
        raise DomainError(
            _("Invite at most %(count)s specialists.")
            % {"count": figure("MDT_MAX_INVITED_DOCTORS")},
            field="doctors",
        )
    if treating.pk in wanted:
        raise DomainError(_("You are already the treating doctor."), field="doctors")
    doctors = list(DoctorProfile.objects.filter(pk__in=wanted).order_by("pk"))
    if len(doctors) != len(wanted):
        raise DomainError(_("Choose doctors from the list."), field="doctors")
    unable = [d.name for d in doctors if not doctor_may_practise(doctor=d)]
    if unable:
        raise DomainError(
            _("These doctors cannot see patients at the moment: %(names)s.")
            % {"names": "、".join(unable)},
            field="doctors",
        )
    return doctors


@transaction.atomic
def mdt_invite(
    *,
    doctor_user: Any,
    consultation_id: int,
    doctor_ids: Any,
    question: str,
    access_hours: int | None = None,
    now: dt.datetime | None = None,
) -> MdtConsultation:
    """The treating doctor of an open consultation asks specialists a question. Each invited
    doctor is told; the patient reads in the chat that specialists were asked."""
    now = now or timezone.now()
    consultation = consultation_locked_for_treating_doctor(doctor_user, consultation_id)
    consultation_require_open(consultation, _("invite specialists"))
    assert consultation.doctor is not None  # the treating doctor was just checked
    question = (question or "").strip()
    if len(question) < 5:
        raise DomainError(
            _("Ask the specialists a question (at least 5 characters)."), field="question"
        )
    duration = figure("MDT_ACCESS_DEFAULT")
    if access_hours is not None:
        duration = dt.timedelta(hours=access_hours)
        if not dt.timedelta(hours=1) <= duration <= figure("MDT_ACCESS_MAX"):
            raise DomainError(
                _("Access lasts from 1 hour to %(days)s days.")
                % {"days": figure("MDT_ACCESS_MAX").days},
                field="access_hours",
            )
    doctors = _invited_doctors(doctor_ids, consultation.doctor)
    mdt = MdtConsultation.objects.create(
        consultation=consultation,
        requested_by=consultation.doctor,
        question=question[:2000],
        expires_at=now + duration,
    )
    mdt.events.create(from_status="", to_status=M.OPEN, actor=acting_user(doctor_user))
    for doctor in doctors:
        invitation = MdtInvitation.objects.create(mdt=mdt, doctor=doctor)
        invitation.events.create(from_status="", to_status=I.INVITED, actor=doctor_user)
        _notify(
            doctor.user,
            kind="hospital.mdt_invited",
            key=f"mdt_invited:{invitation.pk}",
            subject=system_text(
                gettext_noop("Dr. %(name)s invites you to an inter-doctor consultation"),
                name=consultation.doctor.name,
            ),
            body=system_text(gettext_noop("Question: %(question)s"), question=question[:200]),
            link=_link(mdt),
        )
    consultation_system_message_add(
        consultation,
        system_text(
            gettext_noop(
                "Dr. %(doctor)s has asked specialists for their opinion (会诊): %(names)s. "
                "They may read your health record until the consultation among the doctors ends."
            ),
            doctor=consultation.doctor.name,
            names="、".join(d.name for d in doctors),
        ),
    )
    _audit(doctor_user, mdt, "create", f"invited {len(doctors)} specialists")
    return mdt


def _locked_invitation(doctor_user: Any, mdt_id: int) -> tuple[MdtConsultation, MdtInvitation]:
    """The 会诊 and the caller's invitation in it, both locked (in that order, always)."""
    mdt = (
        MdtConsultation.objects.select_for_update(of=("self",))
        .select_related("consultation", "requested_by__user")
        .filter(pk=mdt_id)
        .first()
    )
    invitation = (
        MdtInvitation.objects.select_for_update(of=("self",))
        .select_related("doctor")
        .filter(mdt_id=mdt_id, doctor__user_id=getattr(doctor_user, "pk", 0))
        .first()
        if mdt is not None
        else None
    )
    if mdt is None or invitation is None:
        raise NotFound(_("No such inter-doctor consultation."))
    return mdt, invitation


@transaction.atomic
def mdt_accept(*, doctor_user: Any, mdt_id: int) -> MdtInvitation:
    """The invited doctor accepts; from now until the 会诊 ends they may open the record."""
    mdt, invitation = _locked_invitation(doctor_user, mdt_id)
    if invitation.status in MdtInvitation.WITH_ACCESS:
        return invitation
    _require_live(mdt)
    doctor_check_may_practise(doctor=invitation.doctor)
    invitation.accepted_at = timezone.now()
    status_change(invitation, I.ACCEPTED, actor=doctor_user, fields=("accepted_at",))
    _audit(doctor_user, mdt, "update", "invitation accepted")
    return invitation


@transaction.atomic
def mdt_decline(*, doctor_user: Any, mdt_id: int, reason: str = "") -> MdtInvitation:
    mdt, invitation = _locked_invitation(doctor_user, mdt_id)
    if invitation.status == I.DECLINED:
        return invitation
    _require_live(mdt)
    invitation.declined_at = timezone.now()
    invitation.decline_reason = (reason or "").strip()[:300]
    status_change(
        invitation, I.DECLINED, actor=doctor_user, fields=("declined_at", "decline_reason")
    )
    _audit(doctor_user, mdt, "update", "invitation declined")
    return invitation


@transaction.atomic
def mdt_opinion(*, doctor_user: Any, mdt_id: int, opinion: str) -> MdtInvitation:
    """An invited doctor who accepted answers the question; the treating doctor is told."""
    mdt, invitation = _locked_invitation(doctor_user, mdt_id)
    opinion = (opinion or "").strip()
    if not opinion:
        raise DomainError(_("Write your opinion."), field="opinion")
    if invitation.status == I.ANSWERED:
        raise Conflict(_("You have already given your opinion."), code="already_answered")
    _require_live(mdt)
    if invitation.status != I.ACCEPTED:
        raise Conflict(_("Accept the invitation before giving an opinion."), code="not_accepted")
    doctor_check_may_practise(doctor=invitation.doctor)
    invitation.opinion = opinion[:5000]
    invitation.answered_at = timezone.now()
    status_change(invitation, I.ANSWERED, actor=doctor_user, fields=("opinion", "answered_at"))
    _notify(
        mdt.requested_by.user,
        kind="hospital.mdt_answered",
        key=f"mdt_answered:{invitation.pk}",
        subject=system_text(
            gettext_noop("Dr. %(name)s has given an opinion"), name=invitation.doctor.name
        ),
        body=system_text(
            gettext_noop("Inter-doctor consultation #%(id)s has a new opinion."), id=mdt.pk
        ),
        link=_link(mdt),
    )
    _audit(doctor_user, mdt, "update", "opinion given")
    return invitation


def _end(mdt: MdtConsultation, target: str, *, actor: Any, note: str) -> None:
    mdt.closed_at = timezone.now()
    status_change(mdt, target, actor=actor, note=note, fields=("closed_at", "conclusion"))
    for invitation in mdt.invitations.select_related("doctor__user"):
        if invitation.status == I.DECLINED:
            continue
        _notify(
            invitation.doctor.user,
            kind="hospital.mdt_closed",
            key=f"mdt_closed:{invitation.pk}",
            subject=system_text(
                gettext_noop("Inter-doctor consultation #%(id)s has ended"), id=mdt.pk
            ),
            body=system_text(
                gettext_noop("Your access to the patient's record through it has ended.")
            ),
            link=_link(mdt),
        )


@transaction.atomic
def mdt_close(*, doctor_user: Any, mdt_id: int, conclusion: str = "") -> MdtConsultation:
    """The treating doctor closes the 会诊 with its conclusion; the invited doctors' access
    ends at once."""
    mdt = (
        MdtConsultation.objects.select_for_update(of=("self",))
        .select_related("consultation", "requested_by")
        .filter(pk=mdt_id, requested_by__user_id=getattr(doctor_user, "pk", 0))
        .first()
    )
    if mdt is None:
        raise NotFound(_("No such inter-doctor consultation."))
    if mdt.status == M.CLOSED:
        return mdt
    MdtConsultation.TRANSITIONS.check(mdt.status, M.CLOSED, action="close")
    mdt.conclusion = (conclusion or "").strip()[:5000]
    _end(mdt, M.CLOSED, actor=doctor_user, note="closed")
    _audit(doctor_user, mdt, "update", "closed")
    return mdt


def mdts_expire(*, now: dt.datetime | None = None) -> int:
    """Open 会诊 past their end are marked expired and the doctors told, once each (the
    conditional update is the guard against a second scan). Access has already ended: the
    grant reads `expires_at` itself."""
    now = now or timezone.now()
    due = list(
        MdtConsultation.objects.filter(status=M.OPEN, expires_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    expired = 0
    for mdt_id in due:
        with transaction.atomic():
            mdt = (
                MdtConsultation.objects.select_for_update(of=("self",))
                .select_related("consultation")
                .filter(pk=mdt_id, status=M.OPEN, expires_at__lte=now)
                .first()
            )
            if mdt is None:
                continue
            _end(mdt, M.EXPIRED, actor=None, note="access period over")
            _audit(None, mdt, "update", "expired")
            expired += 1
    return expired


def mdt_record_access_grant(user: Any, patient: PatientProfile) -> str | None:
    """The record-access grant of invited specialists: an accepted invitation in a 会诊 about
    this patient that is open and not past its end, and a doctor who is not suspended."""
    if MdtInvitation.objects.filter(
        doctor__user_id=user.pk,
        doctor__is_suspended=False,
        status__in=MdtInvitation.WITH_ACCESS,
        mdt__status=M.OPEN,
        mdt__expires_at__gt=timezone.now(),
        mdt__consultation__patient_id=patient.pk,
    ).exists():
        return MDT_ACCESS_REASON
    return None


@transaction.atomic
def mdt_end_access(*, actor: Any, mdt_id: int) -> MdtConsultation:
    """An operator ends an open 会诊 at once (a complaint, a doctor leaving): it is marked
    expired and the invited doctors' access ends."""
    mdt = (
        MdtConsultation.objects.select_for_update(of=("self",))
        .select_related("consultation")
        .filter(pk=mdt_id)
        .first()
    )
    if mdt is None:
        raise NotFound(_("No such inter-doctor consultation."))
    if mdt.status != M.OPEN:
        return mdt
    _end(mdt, M.EXPIRED, actor=actor, note="access ended by an operator")
    _audit(actor, mdt, "update", "access ended by an operator")
    return mdt
