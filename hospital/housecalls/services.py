"""A house call's life: requested at an address inside a service area and paid, triaged by
phone, dispatched to the department's available doctors with an ETA, accepted by one of them,
tracked on the way and at the door, completed with the visit's notes, or cancelled with a
reason and refunded by the policy in rules.PATIENT_CANCEL_REFUND_SHARE.

Lock order: house call, then payment (payment_refund locks it). Every state change goes through
status_change and HouseCall.TRANSITIONS, and is written to the access log.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts.models import PatientProfile
from accounts.roles import Role
from audit.services import access_log_record
from core.actors import acting_user
from core.exceptions import Conflict, DomainError, NotAllowed, NotFound
from core.system_text import SystemText, system_text
from core.transitions import status_change
from hospital.doctors.models import Department, DoctorProfile
from hospital.doctors.services import doctor_check_may_practise, doctor_may_practise
from hospital.housecalls import selectors
from hospital.housecalls.models import HouseCall, ServiceArea
from hospital.housecalls.rules import figure
from hospital.icd10 import icd10_description, icd10_validate
from notifications.kinds import kind_register
from notifications.services import notification_send
from payments.models import Payment
from payments.services import payment_cancel, payment_create, payment_refund, payment_start

logger = logging.getLogger(__name__)

PAYMENT_PURPOSE = "house_call"
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
S = HouseCall.Status
MAX_DIAGNOSES = 10

PATIENT_KIND = kind_register("hospital.house_call_update", gettext_lazy("House call update")).key
DOCTOR_KIND = kind_register(
    "hospital.house_call_offer", gettext_lazy("House call offered to you")
).key


# ---- shared steps -------------------------------------------------------------------------


def _audit(actor: Any, house_call: HouseCall, action: str, detail: str = "") -> None:
    access_log_record(
        actor=acting_user(actor),
        patient_id=house_call.patient_id,
        object_type="house_call",
        object_id=house_call.pk,
        action=action,
        detail=detail[:200],
    )


def _link(house_call: HouseCall) -> str:
    return f"/house-calls/{house_call.pk}/"


def _notify_patient(house_call: HouseCall, step: str, body: SystemText) -> None:
    recipient = house_call.patient.account
    key = f"house_call:{house_call.pk}:{step}"
    subject = system_text(gettext_noop("House call #%(id)s"), id=house_call.pk)
    link = _link(house_call)
    transaction.on_commit(
        lambda: notification_send(
            recipient=recipient,
            kind=PATIENT_KIND,
            subject=subject,
            body=body,
            dedupe_key=key,
            link=link,
        )
    )


def _notify_doctors(house_call: HouseCall, doctors: list[DoctorProfile]) -> None:
    body = system_text(
        gettext_noop("A house call in %(district)s is waiting for a doctor: %(address)s."),
        district=house_call.area.district_zh,
        address=house_call.address,
    )
    subject = system_text(gettext_noop("House call #%(id)s offered to you"), id=house_call.pk)

    def offer(recipient: Any, key: str) -> None:
        notification_send(
            recipient=recipient,
            kind=DOCTOR_KIND,
            subject=subject,
            body=body,
            dedupe_key=key,
            link="/doctor/house-calls/",
            send_email=False,
        )

    for doctor in doctors:
        key = f"house_call:{house_call.pk}:offer:{doctor.pk}:{house_call.dispatched_at}"
        transaction.on_commit(functools.partial(offer, doctor.user, key))


def _locked(house_call_id: int) -> HouseCall:
    house_call = (
        HouseCall.objects.select_for_update(of=("self",))
        .select_related("patient__account", "area__city", "department", "doctor", "payment")
        .filter(pk=house_call_id)
        .first()
    )
    if house_call is None:
        raise NotFound(_("No such house call."))
    return house_call


def _is_staff(user: Any) -> bool:
    """Operators and triage nurses (staff accounts) run triage and dispatch."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and (user.is_superuser or user.is_staff or user.has_role(Role.OPERATOR))
    )


def may_triage(user: Any) -> bool:
    return _is_staff(user)


def _require_staff(user: Any) -> None:
    if not _is_staff(user):
        raise NotAllowed(_("Only the hospital's operators and triage nurses can do this."))


def _doctor_of(user: Any) -> DoctorProfile:
    user_id = getattr(user, "pk", None)
    doctor = DoctorProfile.objects.filter(user_id=user_id).first() if user_id else None
    if doctor is None:
        raise NotAllowed(_("Only doctors can do this."))
    return doctor


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _clean_text(value: str, *, field: str, limit: int, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(message, field=field)
    return text[:limit]


# ---- where house calls are made -------------------------------------------------------------


def _bare_place(name: str) -> str:
    """One key for the ways a place is written: "北京市" and "北京", "朝阳区" and "朝阳",
    "Chaoyang District" and "chaoyang"."""
    text = (name or "").strip().lower()
    for suffix in (" district", " city", "市", "区", "县"):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
    return text.strip()


def service_area_find(*, city: str, district: str) -> ServiceArea | None:
    """The active service area at this city and district (Chinese or English names)."""
    city_key, district_key = _bare_place(city), _bare_place(district)
    if not city_key or not district_key:
        return None
    areas = ServiceArea.objects.filter(is_active=True, city__is_active=True).select_related("city")
    for area in areas:
        cities = {_bare_place(area.city.name_zh), _bare_place(area.city.name_en)}
        districts = {_bare_place(area.district_zh), _bare_place(area.district_en)}
        if city_key in cities and district_key in districts:
            return area
    return None


def service_area_is_open(area: ServiceArea, at: dt.datetime | None = None) -> bool:
    """Whether requests are taken now (see ServiceArea for overnight and round-the-clock)."""
    local = timezone.localtime(at or timezone.now()).time()
    if area.opens_at < area.closes_at:
        return area.opens_at <= local < area.closes_at
    if area.opens_at > area.closes_at:
        return local >= area.opens_at or local < area.closes_at
    return True


# ---- the patient's side -------------------------------------------------------------------


@transaction.atomic
def house_call_request(
    *,
    account: Any,
    patient_id: int,
    department_id: int,
    city: str,
    district: str,
    address: str,
    contact_phone: str,
    symptoms: str,
) -> HouseCall:
    """A patient asks for a doctor at an address inside a service area, during its hours, from
    a department offered in that city. The fee is the area's; the request waits for payment
    (PAYMENT_HOLD), then for the triage call."""
    patient = PatientProfile.objects.filter(pk=patient_id, account=account).first()
    if patient is None:
        raise NotFound(_("No such patient profile."), field="patient")
    if patient.is_archived:
        raise DomainError(_("This patient profile is archived."), field="patient")
    department = Department.objects.filter(pk=department_id, is_active=True).first()
    if department is None:
        raise DomainError(_("Choose a department."), field="department")
    address = _clean_text(
        address, field="address", limit=200, message=_("Enter the street address.")
    )
    contact_phone = _clean_text(
        contact_phone,
        field="contact_phone",
        limit=20,
        message=_("Enter a phone number the triage nurse can call."),
    )
    if not all(ch.isdigit() or ch in "+- " for ch in contact_phone) or len(contact_phone) < 5:
        raise DomainError(_("Enter a valid phone number."), field="contact_phone")
    symptoms = _clean_text(
        symptoms,
        field="symptoms",
        limit=1000,
        message=_("Describe the symptoms, so the triage nurse knows who to send."),
    )
    area = service_area_find(city=city, district=district)
    if area is None:
        raise DomainError(
            _("We do not make house calls at this address yet (%(city)s %(district)s).")
            % {"city": city.strip(), "district": district.strip()},
            field="district",
            code="outside_service_area",
        )
    if not area.city.departments.filter(pk=department.pk).exists():
        raise DomainError(
            _("Doctors of %(department)s do not make house calls in %(city)s.")
            % {"department": department.name, "city": area.city.name},
            field="department",
        )
    if not service_area_is_open(area):
        raise DomainError(
            _("House calls in %(area)s are requested between %(opens)s and %(closes)s.")
            % {
                "area": str(area),
                "opens": area.opens_at.strftime("%H:%M"),
                "closes": area.closes_at.strftime("%H:%M"),
            },
            code="outside_service_hours",
        )
    now = timezone.now()
    house_call = HouseCall.objects.create(
        patient=patient,
        requested_by=account,
        area=area,
        department=department,
        address=address,
        contact_phone=contact_phone,
        symptoms=symptoms,
        fee=area.fee,
        hold_expires_at=now + figure("PAYMENT_HOLD"),
    )
    house_call.events.create(to_status=S.PENDING_PAYMENT, actor=acting_user(account))
    _audit(account, house_call, "create", f"{area} · {department.code}")
    if house_call.fee <= 0:
        _paid(house_call, actor=account, note="nothing to pay")
    else:
        _attach_payment(house_call, account=account)
    return house_call


def _attach_payment(house_call: HouseCall, *, account: Any) -> None:
    house_call.payment = payment_create(
        payer=account,
        purpose=PAYMENT_PURPOSE,
        reference=str(house_call.pk),
        gross_amount=house_call.fee,
        description=f"上门诊疗 · {house_call.department.name_zh} · {house_call.area.district_zh}",
        return_path=_link(house_call),
    )
    house_call.save(update_fields=["payment", "updated_at"])


def _paid(house_call: HouseCall, *, actor: Any, note: str) -> None:
    status_change(house_call, S.REQUESTED, actor=acting_user(actor), note=note)
    _notify_patient(
        house_call,
        "requested",
        system_text(
            gettext_noop(
                "We have your request. A triage nurse will call %(phone)s shortly to decide "
                "whether a doctor should come."
            ),
            phone=house_call.contact_phone,
        ),
    )


@dataclass(frozen=True)
class PaymentStart:
    house_call: HouseCall
    payment: Payment
    redirect_url: str


@transaction.atomic
def house_call_pay(*, account: Any, house_call_id: int) -> PaymentStart:
    """Starts (or restarts, after a declined attempt) the payment of a request."""
    house_call = _locked(house_call_id)
    if house_call.patient.account_id != account.pk:
        raise NotFound(_("No such house call."))
    if house_call.status != S.PENDING_PAYMENT:
        raise Conflict(_("This house call is not waiting for payment."), code="not_payable")
    if house_call.hold_expires_at and house_call.hold_expires_at <= timezone.now():
        raise Conflict(_("This request was not paid in time; request again."), code="expired")
    payment = house_call.payment
    if payment is None or payment.status != Payment.Status.WAITING:
        _attach_payment(house_call, account=account)
        payment = house_call.payment
    assert payment is not None
    started = payment_start(payment=payment)
    return PaymentStart(house_call=house_call, payment=payment, redirect_url=started.redirect_url)


def house_call_payment_succeeded(*, payment: Payment, actor: Any = None) -> None:
    """The fee arrived (called inside the payment's transaction): the request goes to triage.
    If the request is gone meanwhile (cancelled, expired), the money goes straight back."""
    if payment.purpose != PAYMENT_PURPOSE:
        return
    house_call = (
        HouseCall.objects.select_for_update(of=("self",))
        .select_related("patient__account", "area", "department")
        .filter(pk=int(payment.reference))
        .first()
    )
    if house_call is not None and house_call.payment_id == payment.pk:
        if house_call.status != S.PENDING_PAYMENT:
            if house_call.status != S.CANCELLED:
                return  # already moved on: a repeated signal
        else:
            _paid(house_call, actor=None, note="paid")
            _audit(actor, house_call, "update", "payment received")
            return
    payment_refund(payment_id=payment.pk, reason="house call no longer open when payment arrived")
    logger.info("payment %s arrived for a house call no longer open; refunded", payment.pk)


def house_calls_expire_unpaid(*, now: dt.datetime | None = None) -> int:
    """Requests still unpaid when their hold runs out are cancelled."""
    now = now or timezone.now()
    due = HouseCall.objects.filter(status=S.PENDING_PAYMENT, hold_expires_at__lte=now).values_list(
        "pk", flat=True
    )
    expired = 0
    for house_call_id in list(due):
        with transaction.atomic():
            house_call = _locked(house_call_id)
            hold = house_call.hold_expires_at
            if house_call.status != S.PENDING_PAYMENT or (hold is not None and hold > now):
                continue
            _cancel_locked(
                house_call, actor=None, by=HouseCall.CancelledBy.SYSTEM, reason="not paid in time"
            )
            expired += 1
    return expired


# ---- triage and dispatch (operators, triage nurses) ---------------------------------------


TRIAGE_ADVICE: dict[str, str] = {
    HouseCall.TriageOutcome.ONLINE_CONSULT: gettext_noop(
        "After the triage call, an online consultation suits you better than a house call. "
        "Your fee is refunded in full; you can ask a doctor online now."
    ),
    HouseCall.TriageOutcome.EMERGENCY: gettext_noop(
        "After the triage call, this needs emergency care: call 120 now. "
        "Your fee is refunded in full."
    ),
    HouseCall.TriageOutcome.DECLINE: gettext_noop(
        "After the triage call, we cannot make this house call. Your fee is refunded in full."
    ),
}


@transaction.atomic
def house_call_triage(*, actor: Any, house_call_id: int, outcome: str, note: str = "") -> HouseCall:
    """Records the phone triage: send a doctor (the request waits for dispatch), or advise an
    online consultation, advise calling 120, or decline (the request ends, refunded in full)."""
    _require_staff(actor)
    if outcome not in HouseCall.TriageOutcome.values:
        raise DomainError(_("Choose the outcome of the triage call."), field="outcome")
    house_call = _locked(house_call_id)
    if house_call.status != S.REQUESTED and house_call.triage_outcome == outcome:
        return house_call  # the same call recorded twice
    target = S.TRIAGED if outcome == HouseCall.TriageOutcome.DISPATCH else S.NOT_DISPATCHED
    HouseCall.TRANSITIONS.check(house_call.status, target, action="triage")
    house_call.triage_outcome = outcome
    house_call.triage_note = (note or "").strip()[:1000]
    house_call.triaged_by = acting_user(actor)
    house_call.triaged_at = timezone.now()
    status_change(
        house_call,
        target,
        actor=actor,
        note=f"triage: {outcome}",
        fields=("triage_outcome", "triage_note", "triaged_by", "triaged_at"),
    )
    if target == S.NOT_DISPATCHED:
        house_call.refund_amount = _refund(
            house_call, share=Decimal("1"), reason=f"triage {outcome}"
        )
        house_call.save(update_fields=["refund_amount", "updated_at"])
        _notify_patient(house_call, "triage", system_text(TRIAGE_ADVICE[outcome]))
    else:
        _notify_patient(
            house_call,
            "triage",
            system_text(gettext_noop("A doctor will be sent to you; we are finding one now.")),
        )
    _audit(actor, house_call, "update", f"triage: {outcome}")
    return house_call


def _busy_doctor_ids() -> Any:
    return HouseCall.objects.filter(status__in=HouseCall.DOCTOR_BUSY_STATUSES).values("doctor_id")


def doctors_available(*, department_id: int) -> list[DoctorProfile]:
    """The department's doctors who may practise now and are not on another house call."""
    doctors = (
        DoctorProfile.objects.filter(
            department_id=department_id, is_suspended=False, user__is_active=True
        )
        .exclude(pk__in=_busy_doctor_ids())
        .select_related("user")
        .order_by("pk")
    )
    return [doctor for doctor in doctors if doctor_may_practise(doctor=doctor)]


def _check_eta(eta_minutes: int) -> dt.datetime:
    low, high = figure("ETA_MINUTES_MIN"), figure("ETA_MINUTES_MAX")
    if not isinstance(eta_minutes, int) or not low <= eta_minutes <= high:
        raise DomainError(
            _("The ETA is between %(low)s and %(high)s minutes.") % {"low": low, "high": high},
            field="eta_minutes",
        )
    return timezone.now() + dt.timedelta(minutes=eta_minutes)


@transaction.atomic
def house_call_dispatch(
    *, actor: Any, house_call_id: int, eta_minutes: int, doctor_id: int | None = None
) -> HouseCall:
    """Offers a triaged house call, with the ETA promised to the patient, to one available
    doctor of its department (doctor_id) or to all of them; the first to accept takes it."""
    _require_staff(actor)
    eta = _check_eta(eta_minutes)
    house_call = _locked(house_call_id)
    if house_call.status == S.DISPATCHED:
        return house_call
    HouseCall.TRANSITIONS.check(house_call.status, S.DISPATCHED, action="dispatch")
    available = doctors_available(department_id=house_call.department_id)
    if doctor_id is not None:
        available = [doctor for doctor in available if doctor.pk == doctor_id]
        if not available:
            raise DomainError(
                _("That doctor is not an available doctor of this department."), field="doctor"
            )
    if not available:
        raise Conflict(
            _("No doctor of this department is available right now."), code="no_doctor_available"
        )
    house_call.offered_to = available[0] if doctor_id is not None else None
    house_call.eta = eta
    house_call.dispatched_at = timezone.now()
    status_change(
        house_call,
        S.DISPATCHED,
        actor=actor,
        note=f"ETA {eta_minutes} min" + (f", to doctor {doctor_id}" if doctor_id else ""),
        fields=("offered_to", "eta", "dispatched_at"),
    )
    _notify_doctors(house_call, available)
    _audit(actor, house_call, "update", f"dispatched, ETA {eta_minutes} min")
    return house_call


# ---- the doctor's side --------------------------------------------------------------------


def _offered_to(house_call: HouseCall, doctor: DoctorProfile) -> bool:
    return house_call.status == S.DISPATCHED and (
        house_call.offered_to_id == doctor.pk
        or (house_call.offered_to_id is None and house_call.department_id == doctor.department_id)
    )


@transaction.atomic
def house_call_accept(*, doctor_user: Any, house_call_id: int) -> HouseCall:
    """A doctor takes a house call offered to them. The row lock makes doctors who accept at
    once wait for each other: the first takes it, the others are told it is taken (409)."""
    doctor = _doctor_of(doctor_user)
    selectors.house_call_check_for_doctor(doctor=doctor, house_call_id=house_call_id)
    house_call = _locked(house_call_id)
    if house_call.doctor_id == doctor.pk and house_call.status != S.CANCELLED:
        return house_call  # a double tap
    if house_call.doctor_id is not None and house_call.status in (
        *HouseCall.DOCTOR_BUSY_STATUSES,
        S.COMPLETED,
    ):
        raise Conflict(_("Another doctor has taken this house call."), code="already_accepted")
    if not _offered_to(house_call, doctor):
        raise NotFound(_("No such house call."))
    doctor_check_may_practise(doctor=doctor)
    if HouseCall.objects.filter(doctor=doctor, status__in=HouseCall.DOCTOR_BUSY_STATUSES).exists():
        raise Conflict(
            _("Finish your current house call before you take another."), code="doctor_busy"
        )
    house_call.doctor = doctor
    house_call.accepted_at = timezone.now()
    status_change(house_call, S.ACCEPTED, actor=doctor_user, fields=("doctor", "accepted_at"))
    _notify_patient(
        house_call,
        "accepted",
        system_text(
            gettext_noop("Dr %(doctor)s will visit you; expected arrival %(eta)s."),
            doctor=doctor.name,
            eta=timezone.localtime(house_call.eta).strftime("%H:%M") if house_call.eta else "—",
        ),
    )
    _audit(doctor_user, house_call, "update", "accepted")
    return house_call


def _locked_for_visiting_doctor(doctor_user: Any, house_call_id: int) -> HouseCall:
    doctor = _doctor_of(doctor_user)
    house_call = _locked(house_call_id)
    if house_call.doctor_id != doctor.pk:
        raise NotFound(_("No such house call."))
    return house_call


@transaction.atomic
def house_call_set_out(
    *, doctor_user: Any, house_call_id: int, eta_minutes: int | None = None
) -> HouseCall:
    """The doctor is on the way (with a new ETA when the first one no longer holds)."""
    house_call = _locked_for_visiting_doctor(doctor_user, house_call_id)
    if house_call.status == S.ON_THE_WAY:
        return house_call
    HouseCall.TRANSITIONS.check(house_call.status, S.ON_THE_WAY, action="set out")
    doctor_check_may_practise(doctor=house_call.doctor)  # type: ignore[arg-type]
    if eta_minutes is not None:
        house_call.eta = _check_eta(eta_minutes)
    house_call.departed_at = timezone.now()
    status_change(house_call, S.ON_THE_WAY, actor=doctor_user, fields=("eta", "departed_at"))
    _notify_patient(
        house_call,
        "on_the_way",
        system_text(
            gettext_noop("Your doctor is on the way; expected arrival %(eta)s."),
            eta=timezone.localtime(house_call.eta).strftime("%H:%M") if house_call.eta else "—",
        ),
    )
    _audit(doctor_user, house_call, "update", "on the way")
    return house_call


@transaction.atomic
def house_call_arrive(*, doctor_user: Any, house_call_id: int) -> HouseCall:
    house_call = _locked_for_visiting_doctor(doctor_user, house_call_id)
    if house_call.status == S.ARRIVED:
        return house_call
    HouseCall.TRANSITIONS.check(house_call.status, S.ARRIVED, action="arrive")
    house_call.arrived_at = timezone.now()
    status_change(house_call, S.ARRIVED, actor=doctor_user, fields=("arrived_at",))
    _notify_patient(
        house_call, "arrived", system_text(gettext_noop("Your doctor has arrived at your door."))
    )
    _audit(doctor_user, house_call, "update", "arrived")
    return house_call


@transaction.atomic
def house_call_complete(
    *,
    doctor_user: Any,
    house_call_id: int,
    notes: str,
    advice: str = "",
    diagnosis_codes: list[str] | None = None,
) -> HouseCall:
    """The visit is done: its notes, advice and ICD-10 diagnoses go into the patient's health
    record (read there beside the consultations)."""
    house_call = _locked_for_visiting_doctor(doctor_user, house_call_id)
    if house_call.status == S.COMPLETED:
        return house_call
    HouseCall.TRANSITIONS.check(house_call.status, S.COMPLETED, action="complete")
    doctor_check_may_practise(doctor=house_call.doctor)  # type: ignore[arg-type]
    notes = _clean_text(
        notes, field="notes", limit=5000, message=_("Write the notes of the visit.")
    )
    codes: list[str] = []
    for raw in diagnosis_codes or []:
        code = icd10_validate(raw, field="diagnosis_codes")
        if code not in codes:
            codes.append(code)
    if len(codes) > MAX_DIAGNOSES:
        raise DomainError(
            _("At most %(count)s diagnoses.") % {"count": MAX_DIAGNOSES}, field="diagnosis_codes"
        )
    house_call.notes = notes
    house_call.advice = (advice or "").strip()[:5000]
    house_call.diagnoses = [
        {"code": code, "description": icd10_description(code)[:300]} for code in codes
    ]
    house_call.completed_at = timezone.now()
    status_change(
        house_call,
        S.COMPLETED,
        actor=doctor_user,
        fields=("notes", "advice", "diagnoses", "completed_at"),
    )
    _notify_patient(
        house_call,
        "completed",
        system_text(
            gettext_noop(
                "The house call is complete; the doctor's notes are in your health record."
            )
        ),
    )
    _audit(doctor_user, house_call, "update", f"completed; diagnoses {' '.join(codes) or '-'}")
    return house_call


# ---- cancelling ---------------------------------------------------------------------------


def refund_share(*, house_call: HouseCall, by: str) -> Decimal:
    """The share of the paid fee that goes back (rules.PATIENT_CANCEL_REFUND_SHARE)."""
    if by != HouseCall.CancelledBy.PATIENT:
        return Decimal("1")
    return Decimal(figure("PATIENT_CANCEL_REFUND_SHARE").get(house_call.status, "0"))


def _refund(house_call: HouseCall, *, share: Decimal, reason: str, actor: Any = None) -> Decimal:
    payment = house_call.payment
    if payment is None:
        return ZERO
    if payment.status == Payment.Status.WAITING:
        payment_cancel(payment_id=payment.pk)
        return ZERO
    if payment.status not in (Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED):
        return ZERO
    amount = min(_money(payment.captured_amount * share), payment.refundable_amount)
    if amount <= 0:
        return ZERO
    payment_refund(
        payment_id=payment.pk, amount=amount, reason=reason, requested_by=acting_user(actor)
    )
    return amount


def _actor_role(actor: Any, house_call: HouseCall) -> str | None:
    if house_call.patient.account_id == getattr(actor, "pk", None):
        return HouseCall.CancelledBy.PATIENT
    if house_call.doctor is not None and house_call.doctor.user_id == getattr(actor, "pk", None):
        return HouseCall.CancelledBy.DOCTOR
    if _is_staff(actor):
        return HouseCall.CancelledBy.OPERATOR
    return None


def house_call_check_party(*, user: Any, house_call_id: int) -> None:
    """NotFound unless the user is a party to the house call: the patient's account, the
    visiting doctor, or an operator. Routes ask this before they read the request's body."""
    house_call = (
        HouseCall.objects.select_related("patient", "doctor").filter(pk=house_call_id).first()
    )
    if house_call is None or _actor_role(user, house_call) is None:
        raise NotFound(_("No such house call."))


def house_call_check_for_staff(*, user: Any, house_call_id: int) -> None:
    """Triage and dispatch are the operators': anyone else is refused (403) before the body is
    read, and an operator asking about a missing house call gets a 404."""
    _require_staff(user)
    house_call_check_party(user=user, house_call_id=house_call_id)


def _cancel_locked(house_call: HouseCall, *, actor: Any, by: str, reason: str) -> HouseCall:
    share = refund_share(house_call=house_call, by=by)
    HouseCall.TRANSITIONS.check(house_call.status, S.CANCELLED, action="cancel")
    amount = _refund(
        house_call, share=share, reason=f"house call {house_call.pk}: {reason}"[:200], actor=actor
    )
    house_call.cancelled_at = timezone.now()
    house_call.cancelled_by = by
    house_call.cancel_reason = reason[:200]
    house_call.refund_amount = amount
    status_change(
        house_call,
        S.CANCELLED,
        actor=actor,
        note=reason,
        fields=("cancelled_at", "cancelled_by", "cancel_reason", "refund_amount"),
    )
    if by != HouseCall.CancelledBy.PATIENT:
        _notify_patient(
            house_call,
            "cancelled",
            system_text(
                gettext_noop("Your house call was cancelled: %(reason)s. Refund: ¥%(amount)s."),
                reason=reason,
                amount=str(amount),
            ),
        )
    _audit(actor, house_call, "update", f"cancelled by {by}; refund {amount}")
    return house_call


@transaction.atomic
def house_call_cancel(*, actor: Any, house_call_id: int, reason: str) -> HouseCall:
    """Cancels a house call with a reason: by the patient (refunded by the policy table), by
    the visiting doctor or an operator (refunded in full, the patient is told). Cancelling
    twice changes nothing the second time."""
    house_call = _locked(house_call_id)
    by = _actor_role(actor, house_call)
    if by is None:
        raise NotFound(_("No such house call."))
    if house_call.status == S.CANCELLED:
        return house_call
    if house_call.status not in HouseCall.OPEN_STATUSES:
        raise Conflict(
            _("This house call is %(status)s and can no longer be cancelled.")
            % {"status": house_call.get_status_display()},
            code="invalid_transition",
        )
    reason = _clean_text(
        reason, field="reason", limit=200, message=_("Say why the house call is cancelled.")
    )
    return _cancel_locked(house_call, actor=actor, by=by, reason=reason)


def house_call_record_access_grant(user: Any, patient: PatientProfile) -> str | None:
    """The record grant of the visiting doctor: from accepting the visit until
    RECORD_ACCESS_AFTER_VISIT after completing it (registered by hospital's AppConfig)."""
    since = timezone.now() - figure("RECORD_ACCESS_AFTER_VISIT")
    visiting = HouseCall.objects.filter(
        Q(status__in=HouseCall.DOCTOR_BUSY_STATUSES)
        | Q(status=S.COMPLETED, completed_at__gte=since),
        patient_id=patient.pk,
        doctor__user_id=user.pk,
        doctor__is_suspended=False,
    )
    return "house_call_doctor" if visiting.exists() else None
