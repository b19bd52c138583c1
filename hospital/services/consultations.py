"""Consultations: opening a booked one, the quick-consult queue, messages, diagnoses, follow-up
eligibility, referral, closing and rating.

Every doctor action checks again that the doctor may practise (a suspension stops the very next
action). Lock order: consultation, then appointment, then doctor profile (opening locks the
appointment before its consultation exists, so it takes no consultation lock).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import PatientProfile
from audit.services import access_log_record
from core.actors import acting_user
from core.exceptions import Conflict, DomainError, NotAllowed, NotFound
from core.transitions import status_change
from hospital.icd10 import icd10_description, icd10_validate
from hospital.models import (
    Appointment,
    Consultation,
    ConsultationDiagnosis,
    ConsultationMessage,
    Department,
    DoctorProfile,
    MedicalDocument,
)
from hospital.rules import figure
from hospital.services.appointments import appointment_begin_consultation, appointment_complete
from hospital.services.doctors import doctor_check_may_practise
from hospital.uploads import JPEG, PDF, PNG, WEBP, upload_content_type
from hospital.video import VideoJoin, video_provider
from notifications.kinds import kind_register
from notifications.services import notification_send, notification_send_to_operators

logger = logging.getLogger(__name__)

S = Consultation.Status

kind_register("hospital.consultation_opened", gettext_lazy("Consultation opened"))
kind_register("hospital.consultation_closed", gettext_lazy("Visit summary ready"))

# --- helpers -----------------------------------------------------------------------------------


def _doctor_of(user: Any) -> DoctorProfile:
    user_id = getattr(user, "pk", None)
    doctor = DoctorProfile.objects.filter(user_id=user_id).first() if user_id else None
    if doctor is None:
        raise NotAllowed(_("Only doctors can do this."))
    return doctor


def _audit(actor: Any, consultation: Consultation, action: str, detail: str = "") -> None:
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


def _locked_for_participant(user: Any, consultation_id: int) -> Consultation:
    consultation = _locked(consultation_id)
    if not consultation.is_participant(user):
        raise NotFound(_("No such consultation."))
    return consultation


def _locked_for_treating_doctor(user: Any, consultation_id: int) -> Consultation:
    """The consultation, locked, for its treating doctor who may practise right now."""
    consultation = _locked(consultation_id)
    if consultation.doctor is None or consultation.doctor.user_id != getattr(user, "pk", None):
        raise NotFound(_("No such consultation."))
    doctor_check_may_practise(doctor=consultation.doctor)
    return consultation


def _require_open(consultation: Consultation, action: str) -> None:
    if consultation.status != S.OPEN:
        raise Conflict(
            _("The consultation is %(status)s: you cannot %(action)s now.")
            % {"status": consultation.get_status_display(), "action": action},
            code="consultation_not_open",
        )


def _link(consultation: Consultation) -> str:
    return f"/consultations/{consultation.pk}/"


def _notify(recipient: Any, *, kind: str, key: str, subject: str, body: str, link: str) -> None:
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


def _system_message(consultation: Consultation, text: str) -> ConsultationMessage:
    return ConsultationMessage.objects.create(
        consultation=consultation, sender=None, kind=ConsultationMessage.Kind.SYSTEM, body=text
    )


# --- opening -----------------------------------------------------------------------------------


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
    _system_message(consultation, _("The consultation has started."))
    other = appointment.patient.account if is_doctor else appointment.doctor.user
    _notify(
        other,
        kind="hospital.consultation_opened",
        key=f"consultation_opened:{consultation.pk}",
        subject=_("Your consultation has started"),
        body=_("Consultation #%(id)s is open.") % {"id": consultation.pk},
        link=_link(consultation),
    )
    _audit(actor, consultation, "create", "opened from appointment")
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
    _system_message(consultation, _("Your question is waiting for the next doctor on duty."))
    _audit(account, consultation, "create", "quick consult requested")
    return consultation


def _check_may_claim(doctor: DoctorProfile, consultation: Consultation) -> None:
    if doctor.tier != DoctorProfile.Tier.FULL_TIME:
        raise NotAllowed(_("Quick consults are answered by full-time doctors on duty."))
    if consultation.department_id != doctor.department_id:
        raise NotFound(_("No such consultation."))


def _claim(consultation: Consultation, doctor: DoctorProfile, now: dt.datetime) -> Consultation:
    consultation.doctor = doctor
    consultation.opened_at = now
    status_change(
        consultation, S.OPEN, actor=doctor.user, note="claimed", fields=("doctor", "opened_at")
    )
    _system_message(consultation, _("Dr. %(name)s has joined.") % {"name": doctor.name})
    _notify(
        consultation.patient.account,
        kind="hospital.consultation_opened",
        key=f"consultation_opened:{consultation.pk}",
        subject=_("A doctor has taken your question"),
        body=_("Dr. %(name)s is answering your question.") % {"name": doctor.name},
        link=_link(consultation),
    )
    _audit(doctor.user, consultation, "update", "claimed")
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
    _check_may_claim(doctor, consultation)
    if consultation.doctor_id == doctor.pk and consultation.status == S.OPEN:
        return consultation
    if consultation.status != S.WAITING:
        raise Conflict(_("Another doctor has already taken this question."), code="already_claimed")
    doctor_check_may_practise(doctor=doctor)
    return _claim(consultation, doctor, now or timezone.now())


@transaction.atomic
def consultation_claim_next(*, doctor_user: Any, now: dt.datetime | None = None) -> Consultation:
    """The oldest waiting quick consult of the doctor's department, claimed. Rows another
    doctor is claiming at this moment are skipped, so doctors never wait on or take the same one."""
    doctor = _doctor_of(doctor_user)
    if doctor.tier != DoctorProfile.Tier.FULL_TIME:
        raise NotAllowed(_("Quick consults are answered by full-time doctors on duty."))
    doctor_check_may_practise(doctor=doctor)
    consultation = (
        Consultation.objects.select_for_update(skip_locked=True)
        .filter(department_id=doctor.department_id, kind=Consultation.Kind.QUICK, status=S.WAITING)
        .order_by("created_at", "id")
        .first()
    )
    if consultation is None:
        raise NotFound(_("No question is waiting in your department."), code="queue_empty")
    return _claim(consultation, doctor, now or timezone.now())


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
    _audit(account, consultation, "update", "cancelled")
    return consultation


# --- messages ----------------------------------------------------------------------------------


def attachment_sniff(upload: Any) -> str:
    """The attachment's real content type: a photo (JPEG, PNG, WebP) or a PDF within the limit."""
    return upload_content_type(
        upload,
        allowed=(JPEG, PNG, WEBP, PDF),
        max_bytes=figure("CONSULTATION_ATTACHMENT_MAX_BYTES"),
        field="file",
        too_large=_("An attachment can be at most %(mb)s MB."),
        wrong_type=_("Attach a photo (JPEG, PNG or WebP) or a PDF document."),
        wrong_type_code="unsupported_type",
    )


@transaction.atomic
def consultation_post_message(
    *, user: Any, consultation_id: int, text: str = "", upload: Any = None
) -> ConsultationMessage:
    """A participant writes to the consultation: text, or a file (with an optional caption).
    The patient may add to a quick consult while it waits; nobody writes once it is over."""
    consultation = _locked_for_participant(user, consultation_id)
    is_doctor = consultation.doctor is not None and consultation.doctor.user_id == user.pk
    if consultation.status not in (S.OPEN, S.WAITING):
        raise Conflict(
            _("The consultation is %(status)s: no more messages can be sent.")
            % {"status": consultation.get_status_display()},
            code="consultation_not_open",
        )
    if is_doctor and consultation.doctor is not None:
        doctor_check_may_practise(doctor=consultation.doctor)
    text = (text or "").strip()
    if upload is None and not text:
        raise DomainError(_("Write a message or attach a file."), field="text")
    if len(text) > 5000:
        raise DomainError(_("A message can be at most 5000 characters."), field="text")
    message = ConsultationMessage(consultation=consultation, sender=user, body=text)
    if upload is None:
        message.kind = ConsultationMessage.Kind.TEXT
    else:
        content_type = attachment_sniff(upload)
        message.kind = (
            ConsultationMessage.Kind.DOCUMENT
            if content_type == PDF
            else ConsultationMessage.Kind.IMAGE
        )
        message.attachment_type = content_type
        message.attachment_size = upload.size
        message.attachment_name = (getattr(upload, "name", "") or "")[-200:]
        message.attachment.save("upload", File(upload), save=False)
    message.save()
    _audit(user, consultation, "create", f"message {message.kind}")
    return message


def consultation_post_system_message(
    *, consultation: Consultation, text: str
) -> ConsultationMessage:
    """A line from the platform in the consultation (for example "prescription issued"), shown
    to both participants. Posting does not depend on the consultation's status."""
    text = (text or "").strip()
    if not text:
        raise DomainError(_("A system message needs text."), field="text")
    return _system_message(consultation, text[:5000])


# --- clinical record of the visit ---------------------------------------------------------------


@dataclass(frozen=True)
class DiagnosisEntry:
    code: str
    is_primary: bool = False


@transaction.atomic
def consultation_record_diagnoses(
    *,
    doctor_user: Any,
    consultation_id: int,
    diagnoses: list[DiagnosisEntry],
    notes: str | None = None,
    advice: str | None = None,
    follow_up_on: dt.date | None = None,
) -> Consultation:
    """Adds ICD-10 diagnoses (validated), and sets the notes, advice and follow-up date when
    given. A code already recorded is updated, not duplicated; at most one diagnosis is
    primary (a new primary demotes the old one; the first recorded is primary by default)."""
    consultation = _locked_for_treating_doctor(doctor_user, consultation_id)
    _require_open(consultation, _("record diagnoses"))
    primaries = [entry for entry in diagnoses if entry.is_primary]
    if len(primaries) > 1:
        raise DomainError(_("Only one diagnosis can be primary."), field="diagnoses")
    codes = [icd10_validate(entry.code, field="diagnoses") for entry in diagnoses]
    if len(set(codes)) != len(codes):
        raise DomainError(_("Each code can be given once."), field="diagnoses")
    if follow_up_on is not None and follow_up_on <= timezone.localdate():
        raise DomainError(_("The follow-up date must be in the future."), field="follow_up_on")
    existing = {d.code: d for d in consultation.diagnoses.select_for_update()}
    if primaries:
        new_primary = codes[diagnoses.index(primaries[0])]
        for code, diagnosis in existing.items():
            if diagnosis.is_primary and code != new_primary:
                diagnosis.is_primary = False
                diagnosis.save(update_fields=["is_primary"])
    has_primary = bool(primaries) or any(d.is_primary for d in existing.values())
    for index, (code, entry) in enumerate(zip(codes, diagnoses, strict=True)):
        primary = entry.is_primary or (not has_primary and index == 0)
        if code in existing:
            if primary and not existing[code].is_primary:
                existing[code].is_primary = True
                existing[code].save(update_fields=["is_primary"])
            continue
        ConsultationDiagnosis.objects.create(
            consultation=consultation,
            code=code,
            description=icd10_description(code)[:300],
            is_primary=primary,
            recorded_by=doctor_user,
        )
    fields = []
    for name, value in (("notes", notes), ("advice", advice), ("follow_up_on", follow_up_on)):
        if value is not None:
            setattr(consultation, name, value.strip() if isinstance(value, str) else value)
            fields.append(name)
    if fields:
        consultation.save(update_fields=[*fields, "updated_at"])
    _audit(doctor_user, consultation, "update", "diagnoses: " + ",".join(codes))
    return consultation


@transaction.atomic
def consultation_assess_follow_up(
    *,
    doctor_user: Any,
    consultation_id: int,
    qualifies: bool,
    evidence_ids: list[int],
    note: str = "",
) -> Consultation:
    """The doctor records whether this is a follow-up (复诊) of a condition diagnosed offline,
    citing the patient's own documents as evidence. Without it, no prescription."""
    consultation = _locked_for_treating_doctor(doctor_user, consultation_id)
    _require_open(consultation, _("assess follow-up eligibility"))
    evidence_ids = sorted(set(evidence_ids))
    documents = list(
        MedicalDocument.objects.filter(
            pk__in=evidence_ids,
            patient_id=consultation.patient_id,
            status=MedicalDocument.Status.CURRENT,
        )
    )
    if len(documents) != len(evidence_ids):
        raise DomainError(
            _("Evidence must be documents in this patient's record."), field="evidence"
        )
    if qualifies and not documents:
        raise DomainError(
            _("A follow-up needs the record of the prior diagnosis as evidence."),
            field="evidence",
        )
    consultation.qualifies_as_follow_up = qualifies
    consultation.follow_up_note = (note or "").strip()
    consultation.save(update_fields=["qualifies_as_follow_up", "follow_up_note", "updated_at"])
    consultation.follow_up_evidence.set(documents)
    _audit(
        doctor_user,
        consultation,
        "update",
        f"follow-up {'yes' if qualifies else 'no'}; evidence {evidence_ids}",
    )
    return consultation


def consultation_may_prescribe(consultation: Consultation) -> bool:
    """Whether a prescription may be written in this consultation now: it is open, and the
    doctor has recorded it as a follow-up with evidence. (The doctor's own right to practise is
    checked by `consultation_check_may_prescribe`.)"""
    return consultation.status == S.OPEN and consultation.qualifies_as_follow_up is True


def consultation_check_may_prescribe(*, consultation: Consultation, doctor_user: Any) -> None:
    """Raises unless `doctor_user` is the treating doctor, may practise now, and the
    consultation may carry a prescription (for the prescriptions module)."""
    if consultation.doctor is None or consultation.doctor.user_id != getattr(
        doctor_user, "pk", None
    ):
        raise NotFound(_("No such consultation."))
    doctor_check_may_practise(doctor=consultation.doctor)
    if consultation.status != S.OPEN:
        raise Conflict(
            _("Prescriptions can only be written during an open consultation."),
            code="consultation_not_open",
        )
    if consultation.qualifies_as_follow_up is not True:
        raise Conflict(
            _(
                "Online prescriptions are for follow-up visits only: record the evidence of the "
                "prior diagnosis first, or give advice and refer the patient."
            ),
            code="not_a_follow_up",
        )


# --- ending ------------------------------------------------------------------------------------


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
    _system_message(consultation, _("The consultation has ended. The visit summary is ready."))
    _notify(
        consultation.patient.account,
        kind="hospital.consultation_closed",
        key=f"consultation_closed:{consultation.pk}",
        subject=_("Your visit summary is ready"),
        body=_("Consultation #%(id)s has ended; read the summary and rate the visit.")
        % {"id": consultation.pk},
        link=f"/consultations/{consultation.pk}/summary/",
    )
    _audit(doctor_user, consultation, "update", f"closed: {outcome}")
    return consultation


@transaction.atomic
def consultation_close(*, doctor_user: Any, consultation_id: int, summary: str) -> Consultation:
    consultation = _locked_for_treating_doctor(doctor_user, consultation_id)
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
    consultation = _locked_for_treating_doctor(doctor_user, consultation_id)
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
    _audit(account, consultation, "update", f"rated {rating}")
    return consultation


# --- video and phone ---------------------------------------------------------------------------


def _check_in_window(consultation: Consultation, now: dt.datetime) -> None:
    if consultation.status != S.OPEN:
        raise Conflict(
            _("The consultation is not open (it is %(status)s).")
            % {"status": consultation.get_status_display()},
            code="consultation_not_open",
        )
    window = consultation_window(consultation)
    if window is None:
        return
    starts, ends = window
    if now < starts:
        raise Conflict(
            _("The call can be joined from %(time)s.")
            % {"time": timezone.localtime(starts).strftime("%Y-%m-%d %H:%M")},
            code="too_early",
        )
    if now > ends:
        raise Conflict(_("The time for this call has passed."), code="too_late")


def consultation_join_video(
    *, user: Any, consultation_id: int, now: dt.datetime | None = None
) -> VideoJoin:
    """A participant's way into the video room, during the appointment window."""
    now = now or timezone.now()
    consultation = (
        Consultation.objects.select_related("patient", "doctor", "appointment__slot")
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None or not consultation.is_participant(user):
        raise NotFound(_("No such consultation."))
    if consultation.mode != "video":
        raise Conflict(_("This is not a video consultation."), code="not_video")
    doctor = consultation.doctor
    is_doctor = doctor is not None and doctor.user_id == user.pk
    if doctor is not None and is_doctor:
        doctor_check_may_practise(doctor=doctor)
    _check_in_window(consultation, now)
    display_name = (
        doctor.name if doctor is not None and is_doctor else consultation.patient.real_name
    ) or str(user)
    join = video_provider().join(
        consultation_id=consultation.pk,
        participant_id=user.pk,
        display_name=display_name,
        is_moderator=is_doctor,
    )
    _audit(user, consultation, "read", "joined video")
    return join


@dataclass(frozen=True)
class PhoneArrangement:
    calls_at: dt.datetime | None
    number: str
    number_visible: bool
    instructions: str


def mask_phone(number: str) -> str:
    digits = str(number or "")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:-8]}****{digits[-4:]}" if len(digits) >= 11 else f"****{digits[-4:]}"


def consultation_phone_arrangement(
    *, user: Any, consultation: Consultation, now: dt.datetime | None = None
) -> PhoneArrangement:
    """How a phone consultation happens: the doctor calls the patient's profile number at the
    slot time. The doctor sees the full number only while the consultation is open inside its
    window, when they must dial it; before and after it is masked, so a doctor's list of past
    patients is not a phone book. The patient's account always sees its own number in full.
    The caller has checked that `user` is a participant."""
    now = now or timezone.now()
    number = str(consultation.patient.phone or "")
    appointment = consultation.appointment
    slot_start = appointment.slot.starts_at if appointment is not None else None
    is_doctor = consultation.doctor is not None and consultation.doctor.user_id == user.pk
    visible = not is_doctor
    if is_doctor and consultation.status == S.OPEN:
        window = consultation_window(consultation)
        visible = window is None or window[0] <= now <= window[1]
    when = timezone.localtime(slot_start).strftime("%Y-%m-%d %H:%M") if slot_start else ""
    if not number:
        instructions = _(
            "No phone number is on file for this patient: add one to the patient profile."
        )
    elif is_doctor:
        instructions = _("Call the patient at %(time)s.") % {"time": when}
    else:
        instructions = _("The doctor will call this number at %(time)s.") % {"time": when}
    return PhoneArrangement(
        calls_at=slot_start,
        number=number if visible else mask_phone(number),
        number_visible=visible,
        instructions=instructions,
    )


# --- periodic scans ----------------------------------------------------------------------------


def consultations_alert_unclaimed(*, now: dt.datetime | None = None) -> int:
    """Quick consults waiting longer than the alert delay: operators are told, once each."""
    now = now or timezone.now()
    due = Consultation.objects.filter(
        kind=Consultation.Kind.QUICK,
        status=S.WAITING,
        unclaimed_alerted_at__isnull=True,
        created_at__lte=now - figure("QUICK_CONSULT_UNCLAIMED_ALERT_AFTER"),
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
