"""Referral out and back (分诊转诊): the treating doctor refers the patient from a consultation to
a partner hospital's department with a letter; where that department holds clinic sessions in
our schedule the patient books one through the ordinary booking (and pays as for any booking);
the partner's outcome (seen, admitted, declined) is recorded back and shows in the health
record with the consultation it came from.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from audit.services import access_log_record
from core.actors import acting_user
from core.exceptions import Conflict, DomainError, NotFound
from core.system_text import system_text
from core.transitions import status_change
from hospital.booking.models import Appointment, Slot
from hospital.booking.selectors import doctor_free_slots
from hospital.booking.services.appointments import appointment_book
from hospital.consultations.models import PartnerDepartment, Referral
from hospital.consultations.services.visits import (
    consultation_locked_for_treating_doctor,
    consultation_require_open,
    consultation_system_message_add,
)
from hospital.rules import figure
from notifications.kinds import kind_register
from notifications.services import notification_send

R = Referral.Status

kind_register("hospital.referral_issued", gettext_lazy("Referral letter issued"))
kind_register("hospital.referral_outcome", gettext_lazy("Referral outcome recorded"))


def _audit(actor: Any, referral: Referral, action: str, detail: str) -> None:
    access_log_record(
        actor=acting_user(actor),
        patient_id=referral.patient_id,
        object_type="referral",
        object_id=referral.pk,
        action=action,
        detail=detail,
    )


def _notify_patient(referral: Referral, *, kind: str, key: str, subject: Any, body: Any) -> None:
    transaction.on_commit(
        functools.partial(
            notification_send,
            recipient=referral.patient.account,
            kind=kind,
            subject=subject,
            body=body,
            dedupe_key=key,
            link=f"/referrals/{referral.pk}/",
            send_email=False,
        )
    )


@transaction.atomic
def referral_create(
    *,
    doctor_user: Any,
    consultation_id: int,
    partner_department_id: Any,
    reason: str,
    clinical_summary: str = "",
) -> Referral:
    """The treating doctor of an open consultation refers the patient to a partner hospital
    department; the letter is ready at once and the patient is told."""
    consultation = consultation_locked_for_treating_doctor(doctor_user, consultation_id)
    consultation_require_open(consultation, _("refer the patient"))
    assert consultation.doctor is not None  # the treating doctor was just checked
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DomainError(
            _("Give the reason for the referral (at least 5 characters)."), field="reason"
        )
    department = (
        PartnerDepartment.objects.select_related("hospital")
        .filter(pk=partner_department_id, is_active=True, hospital__is_active=True)
        .first()
        if str(partner_department_id or "").isdigit()
        else None
    )
    if department is None:
        raise DomainError(
            _("Choose a partner hospital department that takes referrals."),
            field="partner_department",
        )
    referral = Referral.objects.create(
        consultation=consultation,
        patient=consultation.patient,
        referring_doctor=consultation.doctor,
        partner_department=department,
        reason=reason[:2000],
        clinical_summary=(clinical_summary or "").strip()[:5000],
    )
    referral.events.create(from_status="", to_status=R.ISSUED, actor=doctor_user)
    consultation_system_message_add(
        consultation,
        system_text(
            gettext_noop("Dr. %(doctor)s has referred you to %(department)s; the letter is ready."),
            doctor=consultation.doctor.name,
            department=str(department),
        ),
    )
    _notify_patient(
        referral,
        kind="hospital.referral_issued",
        key=f"referral_issued:{referral.pk}",
        subject=system_text(gettext_noop("Your referral letter is ready")),
        body=system_text(
            gettext_noop("Referred to %(department)s. Take the letter to your visit."),
            department=str(department),
        ),
    )
    _audit(doctor_user, referral, "create", f"referred to {department}")
    return referral


def referral_free_slots(*, referral: Referral) -> QuerySet[Slot]:
    """The partner department's clinic slots the patient can still book (none when the
    department holds no sessions in our schedule)."""
    doctor = referral.partner_department.clinic_doctor
    if doctor is None:
        return Slot.objects.none()
    start = timezone.now()
    return doctor_free_slots(
        doctor=doctor,
        start=start,
        end=start + dt.timedelta(days=figure("BOOKING_MAX_DAYS_AHEAD")),
    )


@transaction.atomic
def referral_book(*, account: Any, referral_id: int, slot_id: Any) -> Referral:
    """The patient's account books a clinic slot of the partner department for the referral,
    through the ordinary booking: the slot is held until paid, as any booking."""
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("partner_department__clinic_doctor", "patient")
        .filter(pk=referral_id, patient__account_id=getattr(account, "pk", None))
        .first()
    )
    if referral is None:
        raise NotFound(_("No such referral."))
    if referral.status == R.BOOKED:
        raise Conflict(_("A clinic visit is already booked for this referral."), code="booked")
    Referral.TRANSITIONS.check(referral.status, R.BOOKED, action="book")
    doctor = referral.partner_department.clinic_doctor
    if doctor is None:
        raise Conflict(
            _("This department does not take bookings through us; call them with the letter."),
            code="no_clinic_slots",
        )
    if not str(slot_id or "").isdigit():
        raise DomainError(_("Choose a slot."), field="slot")
    slot = Slot.objects.filter(pk=int(slot_id), doctor=doctor).first()
    if slot is None:
        raise DomainError(_("Choose one of the department's slots."), field="slot")
    appointment = appointment_book(
        account=account,
        patient_id=referral.patient_id,
        slot_id=slot.pk,
        mode=slot.mode,
        visit_type=Appointment.VisitType.FIRST,
        chief_complaint=_("Referral %(number)s: %(reason)s")
        % {"number": referral.letter_number, "reason": referral.reason[:1800]},
        doctor_id=doctor.pk,
    )
    referral.appointment = appointment
    status_change(referral, R.BOOKED, actor=account, fields=("appointment",))
    _audit(account, referral, "update", f"clinic visit booked: appointment {appointment.pk}")
    return referral


def referral_may_record_outcome(actor: Any, referral: Referral) -> bool:
    user_id = getattr(actor, "pk", None)
    clinic_doctor = referral.partner_department.clinic_doctor
    return bool(
        user_id is not None
        and (
            referral.referring_doctor.user_id == user_id
            or (clinic_doctor is not None and clinic_doctor.user_id == user_id)
            or actor.has_perm("hospital.change_referral")
        )
    )


@transaction.atomic
def referral_record_outcome(
    *, actor: Any, referral_id: int, outcome: str, notes: str = ""
) -> Referral:
    """The referring doctor, the partner's clinic doctor or an operator records what happened
    at the partner; it shows in the patient's health record."""
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("referring_doctor", "partner_department__clinic_doctor", "patient")
        .filter(pk=referral_id)
        .first()
    )
    if referral is None or not referral_may_record_outcome(actor, referral):
        raise NotFound(_("No such referral."))
    if outcome not in Referral.Outcome.values:
        raise DomainError(_("Choose seen, admitted or declined."), field="outcome")
    if referral.status == R.COMPLETED:
        raise Conflict(_("The outcome of this referral is already recorded."), code="recorded")
    Referral.TRANSITIONS.check(referral.status, R.COMPLETED, action="record the outcome")
    referral.outcome = outcome
    referral.outcome_notes = (notes or "").strip()[:5000]
    referral.outcome_recorded_at = timezone.now()
    referral.outcome_recorded_by = acting_user(actor)
    status_change(
        referral,
        R.COMPLETED,
        actor=actor,
        fields=("outcome", "outcome_notes", "outcome_recorded_at", "outcome_recorded_by"),
    )
    _notify_patient(
        referral,
        kind="hospital.referral_outcome",
        key=f"referral_outcome:{referral.pk}",
        subject=system_text(gettext_noop("The outcome of your referral is in your record")),
        body=system_text(
            gettext_noop("Referral %(number)s: %(outcome)s."),
            number=referral.letter_number,
            outcome=str(referral.get_outcome_display()),
        ),
    )
    _audit(actor, referral, "update", f"outcome: {outcome}")
    return referral


@transaction.atomic
def referral_cancel(*, doctor_user: Any, referral_id: int) -> Referral:
    """The referring doctor withdraws a referral nobody has booked a visit for."""
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("patient")
        .filter(pk=referral_id, referring_doctor__user_id=getattr(doctor_user, "pk", 0))
        .first()
    )
    if referral is None:
        raise NotFound(_("No such referral."))
    if referral.status == R.CANCELLED:
        return referral
    if referral.status == R.BOOKED:
        raise Conflict(
            _("A clinic visit is booked: the appointment is cancelled first."), code="booked"
        )
    Referral.TRANSITIONS.check(referral.status, R.CANCELLED, action="cancel")
    status_change(referral, R.CANCELLED, actor=doctor_user)
    _audit(doctor_user, referral, "update", "cancelled")
    return referral
