"""A consultation's life: opened for an appointment or requested as a quick consult, claimed,
cancelled, closed, referred, rated."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts.models import PatientProfile
from audit.services import access_log_record
from core.actors import acting_user
from core.exceptions import Conflict, DomainError, NotAllowed, NotFound
from core.system_text import SystemText, system_text
from core.transitions import status_change
from hospital.booking.models import Appointment
from hospital.booking.services.appointments import (
    appointment_begin_consultation,
    appointment_complete,
)
from hospital.consultations.models import Consultation, ConsultationMessage
from hospital.doctors.models import Department, DoctorProfile
from hospital.doctors.rosters import doctor_check_on_duty
from hospital.doctors.services import doctor_check_may_practise
from hospital.doctors.tiers import quick_consult_promise
from hospital.rules import figure
from notifications.kinds import kind_register
from notifications.services import notification_send, notification_send_to_operators

S = Consultation.Status

kind_register("hospital.consultation_opened", gettext_lazy("Consultation opened"))

kind_register("hospital.consultation_closed", gettext_lazy("Visit summary ready"))


def _doctor_of(user: Any) -> DoctorProfile:
    user_id = getattr(user, "pk", None)
    doctor = DoctorProfile.objects.filter(user_id=user_id).first() if user_id else None
    if doctor is None:
        raise NotAllowed(_("Only doctors can do this."))
    return doctor


def consultation_audit(
    actor: Any, consultation: Consultation, action: str, detail: str = ""
) -> None:
    access_log_record(
        actor=acting_user(actor),
        patient_id=consultation.patient_id,
        object_type="consultation",
        object_id=consultation.pk,
        action=action,
        detail=detail,
    )


def _locked(consultation_id: int) -> Consultation:
    # Only the consultation row is locked: the doctor is an outer join (empty while waiting).
    consultation = (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("patient", "doctor")
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None:
        raise NotFound(_("No such consultation."))
    return consultation


def consultation_locked_for_participant(user: Any, consultation_id: int) -> Consultation:
    consultation = _locked(consultation_id)
    if not consultation.is_participant(user):
        raise NotFound(_("No such consultation."))
    return consultation


def consultation_locked_for_treating_doctor(user: Any, consultation_id: int) -> Consultation:
    """The consultation, locked, for its treating doctor who may practise right now."""
    consultation = _locked(consultation_id)
    if consultation.doctor is None or consultation.doctor.user_id != getattr(user, "pk", None):
        raise NotFound(_("No such consultation."))
    doctor_check_may_practise(doctor=consultation.doctor)
    return consultation


def consultation_require_open(consultation: Consultation, action: str) -> None:
    if consultation.status != S.OPEN:
        raise Conflict(
            _("The consultation is %(status)s: you cannot %(action)s now.")
            % {"status": consultation.get_status_display(), "action": action},
            code="consultation_not_open",
        )


def _link(consultation: Consultation) -> str:
    return f"/consultations/{consultation.pk}/"


def _notify(
    recipient: Any,
    *,
    kind: str,
    key: str,
    subject: str | SystemText,
    body: str | SystemText,
    link: str,
) -> None:
    transaction.on_commit(
        lambda: notification_send(
            recipient=recipient,
            kind=kind,
            subject=subject,
            body=body,
            dedupe_key=key,
            link=link,
            send_email=False,
        )
    )


def consultation_window(consultation: Consultation) -> tuple[dt.datetime, dt.datetime] | None:
    """When a booked consultation may be opened and joined: from JOIN_EARLY before the slot
    starts to JOIN_GRACE after it ends. Quick consults have no window (None)."""
    if consultation.appointment is None:
        return None
    slot = consultation.appointment.slot
    return (
        slot.starts_at - figure("CONSULTATION_JOIN_EARLY"),
        slot.ends_at + figure("CONSULTATION_JOIN_GRACE"),
    )


def consultation_system_message_add(
    consultation: Consultation, text: str | SystemText
) -> ConsultationMessage:
    """A line from the platform; given as a SystemText, each reader reads it in their language."""
    msgid, params = (text.msgid, text.params) if isinstance(text, SystemText) else ("", {})
    return ConsultationMessage.objects.create(
        consultation=consultation,
        sender=None,
        kind=ConsultationMessage.Kind.SYSTEM,
        body=str(text)[:5000],
        body_msgid=msgid,
        body_params=params,
    )


@transaction.atomic
def consultation_open_for_appointment(
    *, actor: Any, appointment_id: int, now: dt.datetime | None = None
) -> Consultation:
    """Opens the consultation of a confirmed appointment; the appointment moves to "in
    consultation". The patient's account may open it from JOIN_EARLY before its start; the
    doctor from DOCTOR_OPEN_EARLY before. Opening twice returns the same consultation."""
    now = now or timezone.now()
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "doctor", "slot")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise NotFound(_("No such appointment."))
    is_doctor = appointment.doctor.user_id == getattr(actor, "pk", None)
    if not is_doctor and appointment.patient.account_id != getattr(actor, "pk", None):
        raise NotFound(_("No such appointment."))
    existing = Consultation.objects.filter(appointment=appointment).first()
    if existing is not None:
        return existing
    if appointment.status != Appointment.Status.CONFIRMED:
        raise Conflict(
            _("Only a confirmed appointment can start a consultation (this one is %(status)s).")
            % {"status": appointment.get_status_display()},
            code="appointment_not_confirmed",
        )
    early = figure("CONSULTATION_DOCTOR_OPEN_EARLY" if is_doctor else "CONSULTATION_JOIN_EARLY")
    opens_at = appointment.slot.starts_at - early
    if now < opens_at:
        raise Conflict(
            _("The consultation can be opened from %(time)s.")
            % {"time": timezone.localtime(opens_at).strftime("%Y-%m-%d %H:%M")},
            code="too_early",
        )
    if now > appointment.slot.ends_at + figure("CONSULTATION_JOIN_GRACE"):
        raise Conflict(_("The time of this appointment has passed."), code="too_late")
    doctor_check_may_practise(doctor=appointment.doctor)
    appointment_begin_consultation(appointment_id=appointment.pk, doctor=appointment.doctor)
    consultation = Consultation.objects.create(
        patient=appointment.patient,
        doctor=appointment.doctor,
        appointment=appointment,
        department=appointment.doctor.department,
        kind=Consultation.Kind.APPOINTMENT,
        mode=appointment.mode,
        status=S.OPEN,
        chief_complaint=appointment.chief_complaint,
        opened_at=now,
    )
    consultation.events.create(from_status="", to_status=S.OPEN, actor=acting_user(actor))
    consultation_system_message_add(
        consultation, system_text(gettext_noop("The consultation has started."))
    )
    other = appointment.patient.account if is_doctor else appointment.doctor.user
    _notify(
        other,
        kind="hospital.consultation_opened",
        key=f"consultation_opened:{consultation.pk}",
        subject=system_text(gettext_noop("Your consultation has started")),
        body=system_text(gettext_noop("Consultation #%(id)s is open."), id=consultation.pk),
        link=_link(consultation),
    )
    consultation_audit(actor, consultation, "create", "opened from appointment")
    return consultation


@transaction.atomic
def consultation_request_quick(
    *, account: Any, patient_id: int, department_id: int, chief_complaint: str
) -> Consultation:
    """A patient asks a question in a department's 24×7 quick-consult queue."""
    patient = PatientProfile.objects.filter(
        pk=patient_id, account_id=getattr(account, "pk", None), is_archived=False
    ).first()
    if patient is None:
        raise NotFound(_("No such patient."))
    department = Department.objects.filter(pk=department_id, is_active=True).first()
    if department is None:
        raise DomainError(_("Choose an open department."), field="department")
    complaint = (chief_complaint or "").strip()
    if len(complaint) < 5:
        raise DomainError(
            _("Describe the problem in a few words (at least 5 characters)."),
            field="chief_complaint",
        )
    if Consultation.objects.filter(
        patient=patient, department=department, kind=Consultation.Kind.QUICK, status=S.WAITING
    ).exists():
        raise Conflict(
            _("This patient already has a question waiting in this department."),
            code="quick_consult_waiting",
        )
    consultation = Consultation.objects.create(
        patient=patient,
        department=department,
        kind=Consultation.Kind.QUICK,
        mode="text",
        status=S.WAITING,
        chief_complaint=complaint[:2000],
    )
    consultation.events.create(from_status="", to_status=S.WAITING, actor=account)
    consultation_system_message_add(
        consultation,
        system_text(gettext_noop("Your question is waiting for the next doctor on duty.")),
    )
    consultation_audit(account, consultation, "create", "quick consult requested")
    return consultation


def _check_may_claim(doctor: DoctorProfile, consultation: Consultation, now: dt.datetime) -> None:
    doctor_check_on_duty(doctor=doctor, at=now)
    if consultation.department_id != doctor.department_id:
        raise NotFound(_("No such consultation."))


def _claim(consultation: Consultation, doctor: DoctorProfile, now: dt.datetime) -> Consultation:
    consultation.doctor = doctor
    consultation.opened_at = now
    status_change(
        consultation, S.OPEN, actor=doctor.user, note="claimed", fields=("doctor", "opened_at")
    )
    consultation_system_message_add(
        consultation, system_text(gettext_noop("Dr. %(name)s has joined."), name=doctor.name)
    )
    _notify(
        consultation.patient.account,
        kind="hospital.consultation_opened",
        key=f"consultation_opened:{consultation.pk}",
        subject=system_text(gettext_noop("A doctor has taken your question")),
        body=system_text(
            gettext_noop("Dr. %(name)s is answering your question."), name=doctor.name
        ),
        link=_link(consultation),
    )
    consultation_audit(doctor.user, consultation, "update", "claimed")
    return consultation


@transaction.atomic
def consultation_claim(
    *, doctor_user: Any, consultation_id: int, now: dt.datetime | None = None
) -> Consultation:
    """A full-time doctor of the department takes a waiting quick consult. The row lock makes
    the second of two doctors see it claimed (409); claiming one's own again returns it."""
    doctor = _doctor_of(doctor_user)
    consultation = _locked(consultation_id)
    if consultation.kind != Consultation.Kind.QUICK:
        raise NotFound(_("No such consultation."))
    if consultation.doctor_id == doctor.pk and consultation.status == S.OPEN:
        return consultation
    now = now or timezone.now()
    _check_may_claim(doctor, consultation, now)
    if consultation.status != S.WAITING:
        raise Conflict(_("Another doctor has already taken this question."), code="already_claimed")
    doctor_check_may_practise(doctor=doctor)
    return _claim(consultation, doctor, now)


@transaction.atomic
def consultation_claim_next(*, doctor_user: Any, now: dt.datetime | None = None) -> Consultation:
    """The oldest waiting quick consult of the doctor's department, claimed. Rows another
    doctor is claiming at this moment are skipped, so doctors never wait on or take the same one."""
    doctor = _doctor_of(doctor_user)
    now = now or timezone.now()
    doctor_check_on_duty(doctor=doctor, at=now)
    doctor_check_may_practise(doctor=doctor)
    consultation = (
        Consultation.objects.select_for_update(skip_locked=True)
        .filter(department_id=doctor.department_id, kind=Consultation.Kind.QUICK, status=S.WAITING)
        .order_by("created_at", "id")
        .first()
    )
    if consultation is None:
        raise NotFound(_("No question is waiting in your department."), code="queue_empty")
    return _claim(consultation, doctor, now)


@transaction.atomic
def consultation_cancel(*, account: Any, consultation_id: int) -> Consultation:
    """The patient withdraws a quick consult nobody has taken yet."""
    consultation = _locked(consultation_id)
    if consultation.patient.account_id != getattr(account, "pk", None):
        raise NotFound(_("No such consultation."))
    if consultation.status == S.CANCELLED:
        return consultation
    consultation.cancelled_at = timezone.now()
    status_change(consultation, S.CANCELLED, actor=account, fields=("cancelled_at",))
    consultation_audit(account, consultation, "update", "cancelled")
    return consultation


def _end(
    consultation: Consultation, *, doctor_user: Any, outcome: str, summary: str, note: str
) -> Consultation:
    now = timezone.now()
    consultation.outcome = outcome
    consultation.summary = summary
    consultation.closed_at = now
    status_change(
        consultation,
        S.CLOSED,
        actor=doctor_user,
        note=note,
        fields=(
            "outcome",
            "summary",
            "closed_at",
            "referral_department",
            "referral_hospital",
            "referral_reason",
        ),
    )
    if consultation.appointment_id is not None and consultation.doctor is not None:
        appointment_complete(appointment_id=consultation.appointment_id, doctor=consultation.doctor)
    consultation_system_message_add(
        consultation,
        system_text(gettext_noop("The consultation has ended. The visit summary is ready.")),
    )
    _notify(
        consultation.patient.account,
        kind="hospital.consultation_closed",
        key=f"consultation_closed:{consultation.pk}",
        subject=system_text(gettext_noop("Your visit summary is ready")),
        body=system_text(
            gettext_noop("Consultation #%(id)s has ended; read the summary and rate the visit."),
            id=consultation.pk,
        ),
        link=f"/consultations/{consultation.pk}/summary/",
    )
    consultation_audit(doctor_user, consultation, "update", f"closed: {outcome}")
    return consultation


@transaction.atomic
def consultation_close(*, doctor_user: Any, consultation_id: int, summary: str) -> Consultation:
    consultation = consultation_locked_for_treating_doctor(doctor_user, consultation_id)
    if consultation.status == S.CLOSED:
        return consultation
    Consultation.TRANSITIONS.check(consultation.status, S.CLOSED, action="close")
    summary = (summary or "").strip()
    if not summary:
        raise DomainError(_("Write a summary for the patient."), field="summary")
    return _end(
        consultation,
        doctor_user=doctor_user,
        outcome=Consultation.Outcome.COMPLETED,
        summary=summary[:5000],
        note="closed",
    )


@transaction.atomic
def consultation_refer(
    *,
    doctor_user: Any,
    consultation_id: int,
    reason: str,
    department_id: int | None = None,
    hospital: str = "",
    summary: str = "",
) -> Consultation:
    """Ends the consultation and refers the patient to offline care (a first visit, or a
    problem that needs examination), to a department or a hospital, with the reason."""
    consultation = consultation_locked_for_treating_doctor(doctor_user, consultation_id)
    Consultation.TRANSITIONS.check(consultation.status, S.CLOSED, action="refer")
    reason = (reason or "").strip()
    hospital = (hospital or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the referral."), field="reason")
    department = None
    if department_id is not None:
        department = Department.objects.filter(pk=department_id, is_active=True).first()
        if department is None:
            raise DomainError(_("Choose an open department."), field="department")
    if department is None and not hospital:
        raise DomainError(_("Refer to a department or a hospital."), field="hospital")
    consultation.referral_department = department
    consultation.referral_hospital = hospital[:100]
    consultation.referral_reason = reason[:2000]
    return _end(
        consultation,
        doctor_user=doctor_user,
        outcome=Consultation.Outcome.REFERRED,
        summary=(summary or "").strip()[:5000] or reason[:5000],
        note="referred",
    )


@transaction.atomic
def consultation_rate(
    *, account: Any, consultation_id: int, rating: int, comment: str = ""
) -> Consultation:
    """The patient's account rates a closed consultation, once; the doctor's average follows."""
    consultation = _locked(consultation_id)
    if consultation.patient.account_id != getattr(account, "pk", None):
        raise NotFound(_("No such consultation."))
    if consultation.status != S.CLOSED:
        raise Conflict(_("A consultation can be rated once it has ended."), code="not_closed")
    if consultation.rating is not None:
        raise Conflict(_("This consultation has already been rated."), code="already_rated")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DomainError(_("Rate from 1 to 5."), field="rating")
    consultation.rating = rating
    consultation.rating_comment = (comment or "").strip()[:1000]
    consultation.rated_at = timezone.now()
    consultation.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    assert consultation.doctor_id is not None  # only a claimed, closed consultation is rated
    doctor = DoctorProfile.objects.select_for_update().get(pk=consultation.doctor_id)
    total = doctor.rating * doctor.rating_count + rating
    doctor.rating_count += 1
    doctor.rating = (total / doctor.rating_count).quantize(Decimal("0.1"), ROUND_HALF_UP)
    doctor.save(update_fields=["rating", "rating_count"])
    consultation_audit(account, consultation, "update", f"rated {rating}")
    return consultation


def consultations_alert_unclaimed(*, now: dt.datetime | None = None) -> int:
    """Quick consults waiting longer than the alert delay: operators are told, once each."""
    now = now or timezone.now()
    due = Consultation.objects.filter(
        kind=Consultation.Kind.QUICK,
        status=S.WAITING,
        unclaimed_alerted_at__isnull=True,
        created_at__lte=now - quick_consult_promise(),
    ).values_list("pk", flat=True)
    alerted = 0
    for consultation_id in list(due):
        with transaction.atomic():
            # The conditional update is the guard: a second scan at the same time finds 0 rows.
            if not Consultation.objects.filter(
                pk=consultation_id, status=S.WAITING, unclaimed_alerted_at__isnull=True
            ).update(unclaimed_alerted_at=now):
                continue
            consultation = Consultation.objects.select_related("department").get(pk=consultation_id)
            waited = int((now - consultation.created_at).total_seconds() // 60)
            transaction.on_commit(
                functools.partial(
                    notification_send_to_operators,
                    kind="operations.alert",
                    subject=_("Quick consult #%(id)s unclaimed for %(minutes)s minutes")
                    % {"id": consultation.pk, "minutes": waited},
                    body=_("Department: %(department)s. No doctor on duty has taken it.")
                    % {"department": consultation.department.name},
                    dedupe_key=f"consultation_unclaimed:{consultation.pk}",
                    link=f"/admin/hospital/consultation/{consultation.pk}/change/",
                )
            )
            alerted += 1
    return alerted
