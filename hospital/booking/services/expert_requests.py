""" "One tap to call a famous doctor": a patient's request for an expert appointment, paid up
front, confirmed by the expert's assistant into a booked slot within the expert tier's promise,
or refunded (declined, withdrawn, or not confirmed in time).

Lock order: the request, then (through booking) the slot, then the payment.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts.models import PatientProfile
from audit.services import access_log_record
from core.actors import acting_user
from core.exceptions import Conflict, DomainError, NotAllowed, NotFound
from core.system_text import SystemText, system_text
from core.transitions import status_change
from hospital.booking.models import Appointment, ExpertRequest
from hospital.booking.services.appointments import appointment_book_prepaid
from hospital.doctors.models import DoctorProfile, ExpertAssistant
from hospital.doctors.services import doctor_check_may_practise
from hospital.doctors.tiers import service_quoted_fee, tier_response_promise
from hospital.rules import figure
from notifications.kinds import kind_register
from notifications.services import notification_send
from payments.models import Payment
from payments.services import payment_cancel, payment_create, payment_refund, payment_start

logger = logging.getLogger(__name__)

PAYMENT_PURPOSE = "expert_request"
S = ExpertRequest.Status

# Without an expert policy in the admin, an assistant has a working day to confirm.
DEFAULT_CONFIRM_WITHIN = dt.timedelta(hours=24)

kind_register("hospital.expert_request", gettext_lazy("Expert appointment request"))


@dataclass(frozen=True)
class ExpertRequestPaymentStart:
    request: ExpertRequest
    payment: Payment
    redirect_url: str


def expert_confirm_within() -> dt.timedelta:
    """The expert tier's promise: how long an assistant has to confirm a paid request."""
    return tier_response_promise(DoctorProfile.Tier.EXPERT) or DEFAULT_CONFIRM_WITHIN


def _audit(actor: Any, request: ExpertRequest, change: str, detail: str = "") -> None:
    access_log_record(
        actor=acting_user(actor),
        patient_id=request.patient_id,
        object_type="expert_request",
        object_id=request.pk,
        action="create" if change == "create" else "update",
        detail=f"{change}: {detail}" if detail else change,
    )


def _notify_patient(
    request: ExpertRequest, *, key: str, subject: SystemText, body: SystemText
) -> None:
    transaction.on_commit(
        functools.partial(
            notification_send,
            recipient=request.requested_by,
            kind="hospital.expert_request",
            subject=subject,
            body=body,
            dedupe_key=f"expert_request:{request.pk}:{key}",
            link="/expert-requests/",
        )
    )


def _notify_assistants(request: ExpertRequest) -> None:
    assistants = list(
        ExpertAssistant.objects.filter(expert_id=request.expert_id, is_active=True).select_related(
            "user"
        )
    )
    for assistant in assistants:
        transaction.on_commit(
            functools.partial(
                notification_send,
                recipient=assistant.user,
                kind="hospital.expert_request",
                subject=system_text(
                    gettext_noop("New request for %(expert)s"), expert=request.expert.name
                ),
                body=system_text(
                    gettext_noop("Confirm a slot or decline by %(when)s, or it is refunded."),
                    when=_local(request.confirm_by),
                ),
                dedupe_key=f"expert_request:{request.pk}:assistant:{assistant.user_id}",
                link="/assistant/expert-requests/",
                send_email=False,
            )
        )


def _local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _refund(request: ExpertRequest, *, reason: str, actor: Any = None) -> None:
    """Gives the whole fee back (through the payment's refund path, once)."""
    if request.payment_id is None:
        return
    refund = payment_refund(
        payment_id=request.payment_id, reason=reason, requested_by=acting_user(actor)
    )
    if refund is not None:
        request.refund_amount = refund.amount


@transaction.atomic
def expert_request_create(
    *,
    account: Any,
    patient_id: int,
    expert_id: int,
    mode: str,
    visit_type: str,
    chief_complaint: str,
    preferred_times: str = "",
) -> ExpertRequest:
    """A patient the account acts for asks for an appointment with an expert; the request
    waits for its fee to be paid (BOOKING_HOLD), then for the expert's assistant."""
    patient = PatientProfile.objects.filter(
        pk=patient_id, account_id=getattr(account, "pk", None)
    ).first()
    if patient is None:
        raise NotFound(_("No such patient profile."), field="patient")
    if patient.is_archived:
        raise DomainError(_("This patient profile is archived."), field="patient")
    expert = DoctorProfile.objects.filter(pk=expert_id).first()
    if expert is None:
        raise NotFound(_("No such doctor."), field="expert")
    if expert.tier != DoctorProfile.Tier.EXPERT:
        raise DomainError(_("Only an expert is requested this way; book a slot."), field="expert")
    if visit_type not in Appointment.VisitType.values:
        raise DomainError(_("Choose a first or a follow-up visit."), field="visit_type")
    complaint = (chief_complaint or "").strip()
    if len(complaint) < 5:
        raise DomainError(
            _("Describe the problem in a few words (at least 5 characters)."),
            field="chief_complaint",
        )
    fee = service_quoted_fee(doctor=expert, mode=mode)
    if fee is None:
        raise DomainError(_("This doctor does not offer this mode."), field="mode")
    doctor_check_may_practise(doctor=expert)
    if not ExpertAssistant.objects.filter(expert=expert, is_active=True).exists():
        raise Conflict(
            _("This expert takes no requests at the moment."), code="expert_not_taking_requests"
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            request = ExpertRequest.objects.create(
                patient=patient,
                requested_by=account,
                expert=expert,
                mode=mode,
                visit_type=visit_type,
                chief_complaint=complaint[:1000],
                preferred_times=(preferred_times or "").strip()[:200],
                fee=fee,
                hold_expires_at=now + figure("BOOKING_HOLD"),
            )
    except IntegrityError as error:
        raise Conflict(
            _("This patient already has an open request with this expert."),
            code="expert_request_open",
        ) from error
    request.payment = payment_create(
        payer=account,
        purpose=PAYMENT_PURPOSE,
        reference=str(request.pk),
        gross_amount=fee,
        description=f"{expert.name} · {request.get_mode_display()}",
        return_path="/expert-requests/",
    )
    request.save(update_fields=["payment", "updated_at"])
    request.events.create(to_status=S.PENDING_PAYMENT, actor=account)
    _audit(account, request, "create")
    return request


def _locked(request_id: int) -> ExpertRequest | None:
    return (
        ExpertRequest.objects.select_for_update(of=("self",))
        .select_related("expert", "patient", "requested_by", "payment")
        .filter(pk=request_id)
        .first()
    )


def _locked_for_account(account: Any, request_id: int) -> ExpertRequest:
    request = _locked(request_id)
    if request is None or request.requested_by_id != getattr(account, "pk", None):
        raise NotFound(_("No such request."))
    return request


def _locked_for_assistant(user: Any, request_id: int) -> ExpertRequest:
    """The request, locked, for an active assistant of its expert (anyone else: 404)."""
    request = _locked(request_id)
    if (
        request is None
        or not ExpertAssistant.objects.filter(
            expert_id=request.expert_id, user_id=getattr(user, "pk", None) or 0, is_active=True
        ).exists()
    ):
        raise NotFound(_("No such request."))
    return request


@transaction.atomic
def expert_request_pay(*, account: Any, request_id: int) -> ExpertRequestPaymentStart:
    """Starts (or restarts, after a declined card) the payment of the request's fee."""
    request = _locked_for_account(account, request_id)
    if request.status != S.PENDING_PAYMENT:
        raise Conflict(_("This request is not waiting for payment."), code="not_payable")
    if request.hold_expires_at <= timezone.now():
        raise Conflict(_("This request was not paid in time; ask again."), code="expired")
    payment = request.payment
    if payment is None or payment.status != Payment.Status.WAITING:
        payment = payment_create(
            payer=account,
            purpose=PAYMENT_PURPOSE,
            reference=str(request.pk),
            gross_amount=request.fee,
            description=f"{request.expert.name} · {request.get_mode_display()}",
            return_path="/expert-requests/",
        )
        request.payment = payment
        request.save(update_fields=["payment", "updated_at"])
    started = payment_start(payment=payment)
    return ExpertRequestPaymentStart(
        request=request, payment=payment, redirect_url=started.redirect_url
    )


def expert_request_payment_succeeded(*, payment: Payment, actor: Any = None) -> None:
    """The fee of a request was paid (inside the payment's transaction): the request waits for
    the assistant, with its deadline from the expert tier's promise. A payment for a request
    no longer waiting for it (withdrawn, lapsed, paid twice) goes straight back."""
    if payment.purpose != PAYMENT_PURPOSE:
        return
    request = _locked(int(payment.reference))
    if request is not None and request.payment_id == payment.pk:
        if request.status == S.WAITING:
            return
        if request.status == S.PENDING_PAYMENT:
            now = timezone.now()
            request.paid_at = now
            request.confirm_by = now + expert_confirm_within()
            status_change(
                request, S.WAITING, actor=None, note="paid", fields=("paid_at", "confirm_by")
            )
            _audit(actor, request, "paid")
            _notify_assistants(request)
            _notify_patient(
                request,
                key="waiting",
                subject=system_text(
                    gettext_noop("Your request to %(expert)s is on its way"),
                    expert=request.expert.name,
                ),
                body=system_text(
                    gettext_noop(
                        "The expert's assistant will confirm a time by %(when)s; otherwise "
                        "the fee of ¥%(fee)s is refunded in full."
                    ),
                    when=_local(request.confirm_by),
                    fee=str(request.fee),
                ),
            )
            return
    payment_refund(payment_id=payment.pk, reason="expert request no longer waiting for payment")
    logger.info("payment %s arrived for an expert request no longer open; refunded", payment.pk)


@transaction.atomic
def expert_request_confirm(
    *, assistant: Any, request_id: int, slot_id: int, now: dt.datetime | None = None
) -> ExpertRequest:
    """The expert's assistant books one of the expert's slots for the request, on the fee
    already paid. The request row lock lets exactly one confirmation book: a second assistant
    (or a second click) finds the request confirmed and gets it back, with no second booking."""
    request = _locked_for_assistant(assistant, request_id)
    if request.status == S.CONFIRMED:
        return request
    if request.status != S.WAITING:
        raise Conflict(
            _("This request is %(status)s and can no longer be confirmed.")
            % {"status": request.get_status_display()},
            code="invalid_transition",
        )
    now = now or timezone.now()
    if request.confirm_by is not None and request.confirm_by <= now:
        raise Conflict(
            _("The time to confirm this request has passed; it is being refunded."),
            code="too_late",
        )
    assert request.payment is not None  # a waiting request was paid
    appointment = appointment_book_prepaid(
        account=request.requested_by,
        patient_id=request.patient_id,
        slot_id=slot_id,
        mode=request.mode,
        visit_type=request.visit_type,
        chief_complaint=request.chief_complaint,
        doctor_id=request.expert_id,
        payment=request.payment,
        actor=assistant,
    )
    request.appointment = appointment
    request.handled_by = assistant
    request.decided_at = now
    status_change(
        request,
        S.CONFIRMED,
        actor=assistant,
        note=f"appointment #{appointment.pk}",
        fields=("appointment", "handled_by", "decided_at"),
    )
    _audit(assistant, request, "confirm", f"appointment {appointment.pk}")
    _notify_patient(
        request,
        key="confirmed",
        subject=system_text(gettext_noop("%(expert)s will see you"), expert=request.expert.name),
        body=system_text(
            gettext_noop("Your appointment is booked for %(when)s."),
            when=_local(appointment.slot.starts_at),
        ),
    )
    return request


@transaction.atomic
def expert_request_decline(*, assistant: Any, request_id: int, reason: str) -> ExpertRequest:
    """The assistant declines the request with a reason; the fee goes back in full."""
    request = _locked_for_assistant(assistant, request_id)
    if request.status == S.DECLINED:
        return request
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Tell the patient why the request is declined."), field="reason")
    ExpertRequest.TRANSITIONS.check(request.status, S.DECLINED, action="decline")
    request.handled_by = assistant
    request.decided_at = timezone.now()
    request.decline_reason = reason[:200]
    _refund(request, reason="expert request declined", actor=assistant)
    status_change(
        request,
        S.DECLINED,
        actor=assistant,
        note=reason,
        fields=("handled_by", "decided_at", "decline_reason", "refund_amount"),
    )
    _audit(assistant, request, "decline", reason)
    _notify_patient(
        request,
        key="declined",
        subject=system_text(
            gettext_noop("%(expert)s cannot take your request"), expert=request.expert.name
        ),
        body=system_text(
            gettext_noop("%(reason)s The fee of ¥%(fee)s is refunded in full."),
            reason=request.decline_reason,
            fee=str(request.refund_amount),
        ),
    )
    return request


@transaction.atomic
def expert_request_cancel(*, account: Any, request_id: int) -> ExpertRequest:
    """The patient withdraws a request not yet confirmed: an unpaid one is simply closed, a paid
    one is refunded in full. Withdrawing twice changes nothing the second time."""
    request = _locked_for_account(account, request_id)
    if request.status == S.CANCELLED:
        return request
    ExpertRequest.TRANSITIONS.check(request.status, S.CANCELLED, action="withdraw")
    if request.status == S.PENDING_PAYMENT:
        if request.payment_id:
            payment_cancel(payment_id=request.payment_id)
    else:
        _refund(request, reason="expert request withdrawn by the patient", actor=account)
    status_change(request, S.CANCELLED, actor=account, fields=("refund_amount",))
    _audit(account, request, "cancel")
    return request


def expert_requests_expire(*, now: dt.datetime | None = None) -> int:
    """The periodic scan: paid requests nobody confirmed by their deadline are refunded in
    full and the patient told; unpaid ones past their hold lapse. Each request is re-read
    under its lock, so a scan running twice, or racing a confirmation, acts once."""
    now = now or timezone.now()
    overdue = list(
        ExpertRequest.objects.filter(status=S.WAITING, confirm_by__lte=now).values_list(
            "pk", flat=True
        )
    )
    unpaid = list(
        ExpertRequest.objects.filter(
            status=S.PENDING_PAYMENT, hold_expires_at__lte=now
        ).values_list("pk", flat=True)
    )
    changed = 0
    for request_id in overdue:
        with transaction.atomic():
            request = _locked(request_id)
            if request is None or request.status != S.WAITING:
                continue
            if request.confirm_by is None or request.confirm_by > now:
                continue
            _refund(request, reason="expert request not confirmed in time")
            status_change(
                request,
                S.EXPIRED,
                actor=None,
                note="not confirmed in time",
                fields=("refund_amount",),
            )
            _audit(None, request, "expire", "not confirmed in time")
            _notify_patient(
                request,
                key="expired",
                subject=system_text(
                    gettext_noop("Your request to %(expert)s was not confirmed in time"),
                    expert=request.expert.name,
                ),
                body=system_text(
                    gettext_noop("The fee of ¥%(fee)s is refunded in full."),
                    fee=str(request.refund_amount),
                ),
            )
            changed += 1
    for request_id in unpaid:
        with transaction.atomic():
            request = _locked(request_id)
            if request is None or request.status != S.PENDING_PAYMENT:
                continue
            if request.hold_expires_at > now:
                continue
            if request.payment_id:
                payment_cancel(payment_id=request.payment_id)
            status_change(request, S.LAPSED, actor=None, note="unpaid when the hold ran out")
            _audit(None, request, "lapse")
            changed += 1
    return changed


def expert_request_check_assistant(*, user: Any) -> None:
    if not ExpertAssistant.objects.filter(
        user_id=getattr(user, "pk", None) or 0, is_active=True
    ).exists():
        raise NotAllowed(_("Only an expert's assistant can do this."))
