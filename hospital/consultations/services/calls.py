"""Video and phone consultations: the time window, joining a video room, the masked phone
arrangement."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import Conflict, NotFound
from hospital.consultations.models import Consultation
from hospital.consultations.services.visits import consultation_audit, consultation_window
from hospital.consultations.video import VideoJoin, video_provider
from hospital.doctors.services import doctor_check_may_practise

S = Consultation.Status


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
    consultation_audit(user, consultation, "read", "joined video")
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
