"""Booking a slot, paying for it, and everything that can happen to a booking afterwards.

Lock order, everywhere: appointment, then slot, then payment. Booking itself locks only the
slot (through a conditional update), so no two operations wait on each other in a cycle.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from accounts.models import PatientProfile
from accounts.roles import Role
from audit.services import access_log_record
from core.actors import acting_user
from core.exceptions import Conflict, DomainError, NotFound
from core.system_text import SystemText, system_text
from core.transitions import status_change
from hospital.booking.models import Appointment, Slot
from hospital.doctors.models import DoctorProfile
from hospital.doctors.services import doctor_check_may_practise
from hospital.doctors.tiers import service_quoted_fee
from hospital.rules import figure
from insurance.adjudication import ItemCategory
from insurance.services.point_of_sale import SaleLine, sale_confirm, sale_quote, sale_reverse
from notifications.kinds import kind_register
from notifications.services import (
    notification_schedule,
    notification_schedule_cancel,
    notification_send,
)
from payments.models import Payment
from payments.services import payment_cancel, payment_create, payment_refund, payment_start

logger = logging.getLogger(__name__)

PAYMENT_PURPOSE = "appointment"
ZERO = Decimal("0.00")
S = Appointment.Status


def appointment_settlement_reference(appointment: Appointment) -> str:
    return f"{PAYMENT_PURPOSE}:{appointment.pk}"


def appointment_insurance_quote(appointment: Appointment) -> None:
    """预结算 of the consultation fee with the patient's payers, stored on the booking as the
    split the patient is shown and pays. An internet follow-up visit is covered as an
    outpatient visit; a first visit is the patient's own (the national rules let internet
    hospitals see only patients already diagnosed in person, and cover only follow-ups)."""
    reference = appointment_settlement_reference(appointment)
    lines = []
    if appointment.visit_type == Appointment.VisitType.FOLLOW_UP:
        lines.append(
            SaleLine(
                ref="visit",
                service_date=timezone.localdate(appointment.slot.starts_at),
                category=ItemCategory.VISIT.value,
                code=f"internet-{appointment.mode}-follow-up",
                amount=appointment.fee,
                description=f"{appointment.doctor.name} · {appointment.get_mode_display()}",
            )
        )
    split = sale_quote(
        patient_id=appointment.patient_id,
        reference=reference,
        lines=lines,
        expires_at=appointment.hold_expires_at or timezone.now(),
        provider_level=figure("INSURANCE_PROVIDER_LEVEL"),
    )
    appointment.settlement_reference = reference if split.settlement_id else ""
    appointment.insurance_share, appointment.account_share = split.covered, split.account
    appointment.save(
        update_fields=["settlement_reference", "insurance_share", "account_share", "updated_at"]
    )


@dataclass(frozen=True)
class PaymentStart:
    appointment: Appointment
    payment: Payment
    redirect_url: str


def _release_slot(appointment: Appointment) -> None:
    Slot.objects.filter(pk=appointment.slot_id, booked_count__gt=0).update(
        booked_count=F("booked_count") - 1
    )


def _audit(actor: Any, appointment: Appointment, change: str, detail: str = "") -> None:
    """Records a write of the appointment (patient data) in the access log: `change` is
    "create" or what happened to it (recorded as an update)."""
    access_log_record(
        # As given: the log keeps the user, and names a system actor (the payment gateway).
        actor=actor,
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.pk,
        action="create" if change == "create" else "update",
        detail=f"{change}: {detail}" if detail else change,
    )


def _when(appointment: Appointment) -> str:
    return timezone.localtime(appointment.slot.starts_at).strftime("%Y-%m-%d %H:%M")


kind_register("hospital.appointment_reminder", _("Appointment reminder"))
kind_register("hospital.appointment_moved", _("Appointment moved"))

# Titles a doctor may have typed into their own name; the texts add the title themselves
# ("王芳医生", "Dr. Wang"), so a name "王医生" must not read "王医生医生".
DOCTOR_TITLE_SUFFIXES = ("医生", "大夫")
DOCTOR_TITLE_PREFIXES = ("Dr. ", "Dr ")


def doctor_bare_name(name: str) -> str:
    """The doctor's name without a title typed into it."""
    bare = name.strip()
    for suffix in DOCTOR_TITLE_SUFFIXES:
        if bare.endswith(suffix) and len(bare) > len(suffix):
            bare = bare[: -len(suffix)]
    for prefix in DOCTOR_TITLE_PREFIXES:
        if bare.startswith(prefix) and len(bare) > len(prefix):
            bare = bare[len(prefix) :]
    return bare.strip()


# How long before the start a confirmed patient is reminded (journey 2: 24 h and 1 h).
APPOINTMENT_REMINDERS = (("24h", dt.timedelta(hours=24)), ("1h", dt.timedelta(hours=1)))


def _reminder_key_prefix(appointment: Appointment) -> str:
    return f"appointment:{appointment.pk}:"


def _schedule_reminders(appointment: Appointment) -> None:
    """The patient's reminders of a confirmed appointment, as scheduled notices: written in
    the confirming transaction, so a booking that rolls back leaves none behind."""
    now = timezone.now()
    for label, before in APPOINTMENT_REMINDERS:
        due_at = appointment.slot.starts_at - before
        if due_at <= now:
            continue  # booked closer to the start than this: the confirmation says it all
        notification_schedule(
            recipient=appointment.patient.account,
            kind="hospital.appointment_reminder",
            due_at=due_at,
            subject=system_text(gettext_noop("Appointment reminder")),
            body=system_text(
                gettext_noop(
                    "Your appointment with Dr. %(doctor)s for %(patient)s is at %(when)s."
                ),
                doctor=doctor_bare_name(appointment.doctor.name),
                patient=appointment.patient.real_name,
                when=_when(appointment),
            ),
            dedupe_key=f"{_reminder_key_prefix(appointment)}remind:{label}",
            link="/appointments/",
        )


def _reserve(
    *,
    account: Any,
    patient_id: int,
    slot_id: int,
    mode: str,
    visit_type: str,
    chief_complaint: str,
    doctor_id: int | None = None,
    rescheduled_from: Appointment | None = None,
) -> Appointment:
    """Takes a place in the slot and creates the booking; runs inside the caller's transaction."""
    patient = PatientProfile.objects.filter(pk=patient_id, account=account).first()
    if patient is None:
        raise NotFound(str(_("No such patient profile.")), field="patient")
    if patient.is_archived:
        raise DomainError(str(_("This patient profile is archived.")), field="patient")
    slot = Slot.objects.select_related("doctor").filter(pk=slot_id).first()
    if slot is None:
        raise NotFound(str(_("No such slot.")), field="slot")
    if doctor_id is not None and slot.doctor_id != doctor_id:
        raise DomainError(str(_("This slot belongs to another doctor.")), field="slot")
    if visit_type not in Appointment.VisitType.values:
        raise DomainError(str(_("Choose a first or a follow-up visit.")), field="visit_type")
    if not chief_complaint.strip():
        raise DomainError(str(_("Describe the reason for the visit.")), field="chief_complaint")
    fee = service_quoted_fee(doctor=slot.doctor, mode=mode)
    if fee is None:
        raise DomainError(str(_("This doctor does not offer this mode.")), field="mode")
    if slot.mode != mode:
        raise DomainError(
            str(_("This slot is for %(mode)s consultations.")) % {"mode": slot.get_mode_display()},
            field="mode",
        )
    now = timezone.now()
    if slot.starts_at <= now:
        raise DomainError(str(_("This slot has already started.")), field="slot")
    if slot.starts_at > now + dt.timedelta(days=figure("BOOKING_MAX_DAYS_AHEAD")):
        raise DomainError(str(_("This slot cannot be booked yet.")), field="slot")
    doctor_check_may_practise(doctor=slot.doctor)
    if Appointment.objects.filter(
        slot=slot, patient=patient, status__in=Appointment.ACTIVE_STATUSES
    ).exists():
        raise Conflict(str(_("This patient already holds this slot.")), code="already_booked")

    # The place is taken by one conditional update: on PostgreSQL the row lock makes
    # concurrent bookers wait and re-check `booked_count < capacity`, so exactly `capacity`
    # of them succeed. The CheckConstraint on Slot and the unique index on live-mode
    # appointments stand behind it.
    taken = Slot.objects.filter(pk=slot.pk, is_closed=False, booked_count__lt=F("capacity")).update(
        booked_count=F("booked_count") + 1
    )
    if not taken:
        raise Conflict(str(_("This slot is no longer available.")), code="slot_full")

    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                patient=patient,
                booked_by=account,
                doctor=slot.doctor,
                slot=slot,
                mode=mode,
                visit_type=visit_type,
                chief_complaint=chief_complaint.strip(),
                fee=fee,
                hold_expires_at=now + figure("BOOKING_HOLD"),
                rescheduled_from=rescheduled_from,
            )
    except IntegrityError as error:
        raise Conflict(str(_("This slot is no longer available.")), code="slot_full") from error
    appointment.events.create(to_status=S.PENDING_PAYMENT, actor=account)
    _audit(account, appointment, "create")
    return appointment


def _attach_payment(appointment: Appointment, *, account: Any) -> None:
    if appointment.patient_due <= 0:
        # Insurance pays it all: settled now, or refused (409) and nothing is booked.
        _settle(appointment)
        appointment.confirmed_at = timezone.now()
        status_change(
            appointment, S.CONFIRMED, actor=account, note="nothing to pay", fields=("confirmed_at",)
        )
        _schedule_reminders(appointment)
        return
    payment = payment_create(
        payer=account,
        purpose=PAYMENT_PURPOSE,
        reference=str(appointment.pk),
        gross_amount=appointment.fee,
        covered_amount=appointment.insurance_share,
        description=f"{appointment.doctor.name} · {appointment.get_mode_display()} · "
        f"{_when(appointment)}",
        return_path="/appointments/",
    )
    appointment.payment = payment
    appointment.save(update_fields=["payment", "updated_at"])


@transaction.atomic
def appointment_book(
    *,
    account: Any,
    patient_id: int,
    slot_id: int,
    mode: str,
    visit_type: str,
    chief_complaint: str,
    doctor_id: int | None = None,
) -> Appointment:
    """Books a slot for a patient the account acts for. The booking holds the slot for
    BOOKING_HOLD while it waits for payment."""
    appointment = _reserve(
        account=account,
        patient_id=patient_id,
        slot_id=slot_id,
        mode=mode,
        visit_type=visit_type,
        chief_complaint=chief_complaint,
        doctor_id=doctor_id,
    )
    appointment_insurance_quote(appointment)
    _attach_payment(appointment, account=account)
    return appointment


def appointment_book_prepaid(
    *,
    account: Any,
    patient_id: int,
    slot_id: int,
    mode: str,
    visit_type: str,
    chief_complaint: str,
    doctor_id: int,
    payment: Payment,
    actor: Any,
) -> Appointment:
    """Books a slot already paid for (an expert request's fee, paid when it was made): the
    booking is confirmed at once on that payment, at the fee the payment was for. Runs inside
    the caller's transaction; `actor` is who booked it (the expert's assistant)."""
    appointment = _reserve(
        account=account,
        patient_id=patient_id,
        slot_id=slot_id,
        mode=mode,
        visit_type=visit_type,
        chief_complaint=chief_complaint,
        doctor_id=doctor_id,
    )
    appointment.fee = payment.gross_amount
    appointment.payment = payment
    appointment.confirmed_at = timezone.now()
    appointment.hold_expires_at = None
    appointment.save(update_fields=["fee", "payment", "confirmed_at", "hold_expires_at"])
    status_change(appointment, S.CONFIRMED, actor=actor, note="prepaid", fields=("confirmed_at",))
    _schedule_reminders(appointment)
    _audit(actor, appointment, "confirm", "booked on a prepaid request")
    return appointment


def _locked_for_account(account: Any, appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("slot", "doctor", "patient", "payment")
        .filter(pk=appointment_id, patient__account=account)
        .first()
    )
    if appointment is None:
        raise NotFound(str(_("No such appointment.")))
    return appointment


@transaction.atomic
def appointment_pay(*, account: Any, appointment_id: int) -> PaymentStart:
    """Starts (or restarts, after a declined attempt) the payment of a held booking."""
    appointment = _locked_for_account(account, appointment_id)
    if appointment.status != S.PENDING_PAYMENT:
        raise Conflict(str(_("This appointment is not waiting for payment.")), code="not_payable")
    if appointment.hold_expires_at and appointment.hold_expires_at <= timezone.now():
        raise Conflict(str(_("The hold on this slot has run out; book again.")), code="expired")
    payment = appointment.payment
    if payment is None or payment.status != Payment.Status.WAITING:
        _attach_payment(appointment, account=account)
        payment = appointment.payment
    assert payment is not None
    started = payment_start(payment=payment)
    return PaymentStart(appointment=appointment, payment=payment, redirect_url=started.redirect_url)


def appointment_payment_succeeded(*, payment: Payment, actor: Any = None) -> None:
    """A payment for an appointment went through (called inside the payment's transaction).
    Confirms the booking it was for; if that booking is gone (expired, cancelled, replaced),
    the money goes straight back. `actor` is who reported it (the payment gateway)."""
    if payment.purpose != PAYMENT_PURPOSE:
        return
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("slot", "doctor", "patient__account")
        .filter(pk=int(payment.reference))
        .first()
    )
    if appointment is not None and appointment.payment_id == payment.pk:
        if appointment.status == S.CONFIRMED:
            return
        if appointment.status == S.PENDING_PAYMENT:
            try:
                _settle(appointment)
            except Conflict:
                _refund_unsettled(appointment, payment, actor=actor)
                return
            appointment.confirmed_at = timezone.now()
            status_change(
                appointment, S.CONFIRMED, actor=None, note="paid", fields=("confirmed_at",)
            )
            _schedule_reminders(appointment)
            _audit(actor, appointment, "confirm", "payment received")
            _notify_patient(
                appointment,
                kind="hospital.appointment_confirmed",
                subject=str(_("Your appointment is confirmed")),
                body=f"{appointment.doctor.name} · {appointment.get_mode_display()} · "
                f"{_when(appointment)}",
            )
            return
    payment_refund(payment_id=payment.pk, reason="booking no longer held when payment arrived")
    logger.info("payment %s arrived for a booking no longer held; refunded", payment.pk)


def _settle(appointment: Appointment) -> None:
    if appointment.settlement_reference:
        sale_confirm(reference=appointment.settlement_reference)


def _unsettle(appointment: Appointment, *, reason: str) -> None:
    if appointment.settlement_reference:
        sale_reverse(reference=appointment.settlement_reference, reason=reason)


def _refund_unsettled(appointment: Appointment, payment: Payment, *, actor: Any) -> None:
    """The patient paid their part of a split insurance no longer settles (the hold ran out,
    or another settlement used the deductible or the account meanwhile): rather than charge
    more without asking, the booking is released and the money goes back."""
    reason = "insurance split changed before settlement"
    payment_refund(payment_id=payment.pk, reason=reason)
    appointment.cancelled_at = timezone.now()
    appointment.cancelled_by = Appointment.CancelledBy.OPERATOR
    appointment.cancel_reason = reason
    appointment.refund_amount = payment.amount
    status_change(
        appointment,
        S.CANCELLED,
        actor=None,
        note=reason,
        fields=("cancelled_at", "cancelled_by", "cancel_reason", "refund_amount"),
    )
    _release_slot(appointment)
    _audit(actor, appointment, "cancel", reason)
    _notify_patient(
        appointment,
        kind="hospital.appointment_not_settled",
        subject=str(_("Your booking could not be settled with your insurance")),
        body=str(
            _(
                "Your insurance's share changed before the payment arrived. Your payment is "
                "refunded in full; book again to see the new split."
            )
        ),
    )


def _notify_patient(
    appointment: Appointment, *, kind: str, subject: str | SystemText, body: str | SystemText
) -> None:
    recipient = appointment.patient.account
    key = f"{kind}:{appointment.pk}"
    transaction.on_commit(
        lambda: notification_send(
            recipient=recipient,
            kind=kind,
            subject=subject,
            body=body,
            dedupe_key=key,
            link="/appointments/",
        )
    )


def _notify_doctor(appointment: Appointment, *, kind: str, subject: str, body: str) -> None:
    recipient = appointment.doctor.user
    key = f"{kind}:{appointment.pk}"
    transaction.on_commit(
        lambda: notification_send(
            recipient=recipient,
            kind=kind,
            subject=subject,
            body=body,
            dedupe_key=key,
            link="/doctor/schedule/",
            send_email=False,
        )
    )


def _actor_role(actor: Any, appointment: Appointment) -> str | None:
    if appointment.patient.account_id == actor.pk:
        return Appointment.CancelledBy.PATIENT
    if appointment.doctor.user_id == actor.pk:
        return Appointment.CancelledBy.DOCTOR
    if actor.is_superuser or actor.has_role(Role.OPERATOR):
        return Appointment.CancelledBy.OPERATOR
    return None


def cancellation_refund(
    *, appointment: Appointment, by: str, now: dt.datetime | None = None
) -> Decimal:
    """What goes back to the patient: everything they paid, except when they cancel
    themselves later than FREE_CANCELLATION_BEFORE the start."""
    payment = appointment.payment
    if payment is None or payment.status not in (
        Payment.Status.PAID,
        Payment.Status.PARTIALLY_REFUNDED,
    ):
        return ZERO
    now = now or timezone.now()
    if by == Appointment.CancelledBy.PATIENT and (
        appointment.slot.starts_at - now < figure("FREE_CANCELLATION_BEFORE")
    ):
        return ZERO
    return payment.refundable_amount


def _cancel_locked(
    appointment: Appointment, *, actor: Any, by: str, reason: str, refund: bool = True
) -> Appointment:
    was_held = appointment.status == S.PENDING_PAYMENT
    Appointment.TRANSITIONS.check(appointment.status, S.CANCELLED, action="cancel")
    # A cancelled or moved appointment is never reminded of (the moved one gets its own).
    notification_schedule_cancel(dedupe_key_prefix=_reminder_key_prefix(appointment))
    amount = cancellation_refund(appointment=appointment, by=by) if refund else ZERO
    appointment.cancelled_at = timezone.now()
    appointment.cancelled_by = by
    appointment.cancel_reason = reason[:200]
    appointment.refund_amount = amount
    status_change(
        appointment,
        S.CANCELLED,
        actor=actor,
        note=reason,
        fields=("cancelled_at", "cancelled_by", "cancel_reason", "refund_amount"),
    )
    _release_slot(appointment)
    if appointment.payment_id:
        if was_held:
            payment_cancel(payment_id=appointment.payment_id)
        elif amount > 0:
            payment_refund(
                payment_id=appointment.payment_id,
                amount=amount,
                reason=f"appointment {appointment.pk} cancelled by {by}",
                requested_by=acting_user(actor),
            )
    if not was_held and (amount > 0 or by != Appointment.CancelledBy.PATIENT):
        # The visit will not happen and the patient has their part back: the payers get
        # theirs back too. A late cancellation by the patient keeps the fee, and the visit
        # stays settled as it was paid.
        _unsettle(appointment, reason=reason or f"cancelled by {by}")
    _audit(actor, appointment, "cancel", f"by {by}; refund {amount}")
    return appointment


@transaction.atomic
def appointment_cancel(*, actor: Any, appointment_id: int, reason: str = "") -> Appointment:
    """Cancels a booking. The patient gets a full refund until FREE_CANCELLATION_BEFORE the
    start and none after; a cancellation by the doctor (or an operator) always refunds in full
    and tells the patient. Cancelling twice changes nothing the second time."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("slot", "doctor", "patient", "payment")
        .filter(pk=appointment_id)
        .first()
    )
    by = _actor_role(actor, appointment) if appointment is not None else None
    if appointment is None or by is None:
        raise NotFound(str(_("No such appointment.")))
    if appointment.status == S.CANCELLED:
        return appointment
    _cancel_locked(appointment, actor=actor, by=by, reason=reason)
    if by != Appointment.CancelledBy.PATIENT:
        refund_note = (
            str(_("The fee of ¥%(amount)s will be refunded in full."))
            % {"amount": appointment.refund_amount}
            if appointment.refund_amount
            else ""
        )
        _notify_patient(
            appointment,
            kind="hospital.appointment_cancelled_by_doctor",
            subject=str(_("Your appointment was cancelled by the hospital")),
            body=" ".join(
                part
                for part in (
                    f"{appointment.doctor.name} · {_when(appointment)}.",
                    reason,
                    refund_note,
                )
                if part
            ),
        )
    else:
        _notify_doctor(
            appointment,
            kind="hospital.appointment_cancelled_by_patient",
            subject=str(_("A patient cancelled an appointment")),
            body=f"{_when(appointment)} · {appointment.get_mode_display()}",
        )
    return appointment


@transaction.atomic
def appointment_reschedule(*, account: Any, appointment_id: int, slot_id: int) -> Appointment:
    """Moves a booking to another slot: the new booking and the cancellation of the old one
    happen together or not at all. A paid fee moves along when the new slot costs the same;
    otherwise it is refunded and the new booking waits for its own payment."""
    old = _locked_for_account(account, appointment_id)
    if old.status not in (S.PENDING_PAYMENT, S.CONFIRMED):
        raise Conflict(
            str(_("This appointment can no longer be rescheduled.")), code="invalid_transition"
        )
    if old.status == S.CONFIRMED and (
        old.slot.starts_at - timezone.now() < figure("FREE_CANCELLATION_BEFORE")
    ):
        raise Conflict(str(_("It is too late to reschedule this appointment.")), code="too_late")
    if old.slot_id == slot_id:
        raise DomainError(str(_("Choose a different slot.")), field="slot")
    new = _reserve(
        account=account,
        patient_id=old.patient_id,
        slot_id=slot_id,
        mode=old.mode,
        visit_type=old.visit_type,
        chief_complaint=old.chief_complaint,
        rescheduled_from=old,
    )
    paid = old.payment is not None and old.payment.status == Payment.Status.PAID
    # The same service at the same fee: the payment and its insurance settlement move along.
    carry_over = old.status == S.CONFIRMED and (paid or old.patient_due <= 0) and new.fee == old.fee
    _cancel_locked(
        old, actor=account, by=Appointment.CancelledBy.PATIENT, reason="rescheduled", refund=False
    )
    if carry_over:
        new.payment = old.payment
        new.settlement_reference = old.settlement_reference
        new.insurance_share, new.account_share = old.insurance_share, old.account_share
        new.confirmed_at = timezone.now()
        new.save(
            update_fields=[
                "payment",
                "settlement_reference",
                "insurance_share",
                "account_share",
                "updated_at",
            ]
        )
        status_change(
            new,
            S.CONFIRMED,
            actor=account,
            note=f"rescheduled from #{old.pk}",
            fields=("confirmed_at",),
        )
        _schedule_reminders(new)
    else:
        if paid:
            assert old.payment_id is not None
            refund = payment_refund(
                payment_id=old.payment_id, reason="rescheduled", requested_by=account
            )
            old.refund_amount = refund.amount if refund else ZERO
            old.save(update_fields=["refund_amount", "updated_at"])
        _unsettle(old, reason="rescheduled")
        # Quoted after the old booking's settlement is reversed, so the new split is worked
        # out on the accumulators as they now stand.
        appointment_insurance_quote(new)
        _attach_payment(new, account=account)
    _notify_patient(
        new,
        kind="hospital.appointment_moved",
        subject=system_text(gettext_noop("Your appointment was moved")),
        body=system_text(
            gettext_noop(
                "The appointment of %(patient)s with Dr. %(doctor)s moved from %(old)s to %(new)s."
            ),
            patient=new.patient.real_name,
            doctor=doctor_bare_name(new.doctor.name),
            old=_when(old),
            new=_when(new),
        ),
    )
    _notify_doctor(
        new,
        kind="hospital.appointment_rescheduled",
        subject=str(_("A patient moved an appointment")),
        body=f"{_when(old)} → {_when(new)}",
    )
    return new


def appointments_expire_unpaid(*, now: dt.datetime | None = None) -> int:
    """Bookings still unpaid when their hold runs out expire and give their slot back."""
    now = now or timezone.now()
    due = Appointment.objects.filter(
        status=S.PENDING_PAYMENT, hold_expires_at__lte=now
    ).values_list("pk", flat=True)
    expired = 0
    for appointment_id in list(due):
        with transaction.atomic():
            appointment = (
                Appointment.objects.select_for_update(of=("self",))
                .select_related("slot")
                .get(pk=appointment_id)
            )
            hold = appointment.hold_expires_at
            if appointment.status != S.PENDING_PAYMENT or (hold is not None and hold > now):
                continue
            status_change(appointment, S.EXPIRED, actor=None, note="unpaid when the hold ran out")
            _release_slot(appointment)
            if appointment.payment_id:
                payment_cancel(payment_id=appointment.payment_id)
            _audit(None, appointment, "expire")
            expired += 1
    return expired


def appointments_mark_no_shows(*, now: dt.datetime | None = None) -> int:
    """Confirmed appointments nobody started NO_SHOW_AFTER their start are no-shows."""
    now = now or timezone.now()
    due = Appointment.objects.filter(
        status=S.CONFIRMED, slot__starts_at__lte=now - figure("NO_SHOW_AFTER")
    ).values_list("pk", flat=True)
    marked = 0
    for appointment_id in list(due):
        with transaction.atomic():
            appointment = Appointment.objects.select_for_update().get(pk=appointment_id)
            if appointment.status != S.CONFIRMED:
                continue
            status_change(appointment, S.NO_SHOW, actor=None, note="patient did not attend")
            _audit(None, appointment, "no_show")
            marked += 1
    return marked


@transaction.atomic
def appointment_begin_consultation(*, appointment_id: int, doctor: DoctorProfile) -> Appointment:
    """The consultation opens (used by the consultations module). The doctor's right to
    practise is checked again here."""
    appointment = (
        Appointment.objects.select_for_update().filter(pk=appointment_id, doctor=doctor).first()
    )
    if appointment is None:
        raise NotFound(str(_("No such appointment.")))
    if appointment.status == S.IN_CONSULTATION:
        return appointment
    doctor_check_may_practise(doctor=doctor)
    status_change(appointment, S.IN_CONSULTATION, actor=doctor.user)
    return appointment


@transaction.atomic
def appointment_complete(*, appointment_id: int, doctor: DoctorProfile) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update().filter(pk=appointment_id, doctor=doctor).first()
    )
    if appointment is None:
        raise NotFound(str(_("No such appointment.")))
    if appointment.status == S.COMPLETED:
        return appointment
    status_change(appointment, S.COMPLETED, actor=doctor.user)
    return appointment
