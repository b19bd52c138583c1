"""Pharmacist review (审方): the queue with leases, approval and rejection, the overdue alert,
and the expiry of prescriptions whose validity has passed.

A prescription takes effect only when a pharmacist who did not write it approves it. The queue
hands each pending prescription to one pharmacist at a time: taking one leases it for
PRESCRIPTION_REVIEW_LEASE; a lapsed lease puts it back. On PostgreSQL the queue skips rows
another pharmacist is taking at that moment (SKIP LOCKED); on SQLite the IMMEDIATE
transactions serialize the takers.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts.rules import is_pharmacist
from core.exceptions import Conflict, DomainError, InvalidTransition, NotAllowed, NotFound
from core.system_text import system_label, system_text
from hospital.prescriptions.models import Prescription, PrescriptionEvent, PrescriptionItem
from hospital.prescriptions.services.prescribing import prescription_audit, prescription_event
from hospital.rules import figure
from notifications.kinds import kind_register
from notifications.services import notification_send, notification_send_to_operators

S = Prescription.Status
Reason = Prescription.ReviewReason

kind_register("hospital.prescription_reviewed", gettext_lazy("Prescription reviewed"))

# Event kinds this module writes beside PrescriptionEvent.Kind's own.
EVENT_REVIEW_OVERDUE = "review_overdue"
# The reason record_access gives when a pharmacist opens a record through a review.
RECORD_ACCESS_REASON = "reviewing_pharmacist"

QUEUE_ORDER = ("-risk_rank", "submitted_at", "id")


# --- helpers -----------------------------------------------------------------------------------


def _check_pharmacist(user: Any) -> None:
    if not is_pharmacist(user):
        raise NotAllowed(_("Only pharmacists review prescriptions."))


def _locked(prescription_id: int) -> Prescription:
    prescription = (
        Prescription.objects.select_for_update(of=("self",))
        .select_related("doctor", "patient")
        .filter(pk=prescription_id)
        .first()
    )
    if prescription is None:
        raise NotFound(_("No such prescription."))
    return prescription


def _lease_is_live(prescription: Prescription, now: dt.datetime) -> bool:
    return (
        prescription.review_lease_holder_id is not None
        and prescription.review_lease_expires_at is not None
        and prescription.review_lease_expires_at > now
    )


def _detail_link(prescription: Prescription) -> str:
    return reverse("hospital:prescription-detail", kwargs={"pk": prescription.pk})


def _today(now: dt.datetime) -> dt.date:
    # The validity of a prescription is a calendar day in the hospital's time zone
    # (Asia/Shanghai): it ends at that day's midnight there, not in UTC.
    return timezone.localdate(now)


# --- the queue ---------------------------------------------------------------------------------


def _queue_q(now: dt.datetime) -> Q:
    return Q(status=S.PENDING_REVIEW, valid_until__gte=_today(now))


@transaction.atomic
def review_queue_next(*, pharmacist: Any, now: dt.datetime | None = None) -> Prescription | None:
    """The prescription this pharmacist reviews next, leased to them; None when none waits.

    A pharmacist who still holds a live lease gets that prescription again (a reload, a second
    tab). Otherwise the riskiest, then the longest-waiting, prescription that nobody holds is
    leased. A pharmacist is never handed a prescription they wrote.
    """
    _check_pharmacist(pharmacist)
    now = now or timezone.now()
    held = (
        Prescription.objects.select_for_update(of=("self",))
        .filter(_queue_q(now), review_lease_holder=pharmacist, review_lease_expires_at__gt=now)
        .order_by(*QUEUE_ORDER)
        .first()
    )
    if held is not None:
        return held
    prescription = (
        Prescription.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(_queue_q(now))
        .filter(Q(review_lease_holder__isnull=True) | Q(review_lease_expires_at__lte=now))
        .exclude(doctor__user_id=pharmacist.pk)
        .order_by(*QUEUE_ORDER)
        .first()
    )
    if prescription is None:
        return None
    previous_holder = prescription.review_lease_holder_id
    prescription.review_lease_holder = pharmacist
    prescription.review_lease_expires_at = now + figure("PRESCRIPTION_REVIEW_LEASE")
    prescription.save(
        update_fields=["review_lease_holder", "review_lease_expires_at", "updated_at"]
    )
    prescription_event(
        prescription,
        PrescriptionEvent.Kind.CLAIMED,
        pharmacist,
        lease_expires_at=prescription.review_lease_expires_at.isoformat(),
        **({"lapsed_lease_of": previous_holder} if previous_holder else {}),
    )
    prescription_audit(pharmacist, prescription, "read", "taken for review")
    return prescription


@transaction.atomic
def review_lease_release(*, pharmacist: Any, prescription_id: int) -> Prescription:
    """The pharmacist hands a prescription back to the queue without deciding it."""
    _check_pharmacist(pharmacist)
    prescription = _locked(prescription_id)
    if prescription.review_lease_holder_id != pharmacist.pk:
        return prescription
    prescription.review_lease_holder = None
    prescription.review_lease_expires_at = None
    prescription.save(
        update_fields=["review_lease_holder", "review_lease_expires_at", "updated_at"]
    )
    prescription_event(prescription, "lease_released", pharmacist)
    return prescription


def review_record_access_grant(user: Any, patient: Any) -> str | None:
    """record_access grant: the pharmacist holding a live review lease on one of this patient's
    prescriptions may read the patient's record (allergies, conditions, medicines)."""
    if not is_pharmacist(user):
        return None
    holds = Prescription.objects.filter(
        patient_id=patient.pk,
        status=S.PENDING_REVIEW,
        review_lease_holder_id=user.pk,
        review_lease_expires_at__gt=timezone.now(),
    ).exists()
    return RECORD_ACCESS_REASON if holds else None


# --- decisions ---------------------------------------------------------------------------------


def _check_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if not reason and not required:
        return ""
    if reason not in Reason.values:
        raise DomainError(
            _("Choose one of the reasons: %(reasons)s.") % {"reasons": ", ".join(Reason.values)},
            field="reason",
        )
    return reason


def _locked_for_decision(
    *, pharmacist: Any, prescription_id: int, target: str, now: dt.datetime
) -> tuple[Prescription, bool]:
    """The prescription, locked, and whether the decision was already taken (a retry)."""
    _check_pharmacist(pharmacist)
    prescription = _locked(prescription_id)
    if prescription.doctor.user_id == pharmacist.pk:
        raise NotAllowed(
            _("A prescriber cannot review their own prescription."), code="own_prescription"
        )
    if prescription.status == target and prescription.reviewed_by_id is not None:
        return prescription, True
    action = "approve" if target == S.APPROVED else "reject"
    if prescription.status != S.PENDING_REVIEW:
        raise InvalidTransition(prescription.status, action)
    if _lease_is_live(prescription, now) and prescription.review_lease_holder_id != pharmacist.pk:
        raise Conflict(
            _("Another pharmacist is reviewing this prescription."), code="review_leased"
        )
    if prescription.valid_until is None or prescription.valid_until < _today(now):
        raise Conflict(
            _("This prescription's validity has passed; it can no longer be reviewed."),
            code="prescription_lapsed",
        )
    Prescription.TRANSITIONS.check(prescription.status, target, action=action)
    return prescription, False


def _decide(
    prescription: Prescription,
    *,
    pharmacist: Any,
    target: str,
    reason: str,
    comment: str,
    now: dt.datetime,
) -> None:
    prescription.status = target
    prescription.reviewed_by = pharmacist
    prescription.reviewed_at = now
    prescription.review_decision_reason = reason
    prescription.review_comment = comment
    prescription.review_lease_holder = None
    prescription.review_lease_expires_at = None
    prescription.save(
        update_fields=[
            "status",
            "reviewed_by",
            "reviewed_at",
            "review_decision_reason",
            "review_comment",
            "review_lease_holder",
            "review_lease_expires_at",
            "updated_at",
        ]
    )
    prescription_event(prescription, target, pharmacist, reason=reason, comment=comment)
    transaction.on_commit(functools.partial(_notify_reviewed, prescription.pk))
    prescription_audit(pharmacist, prescription, "update", target)


def _notify_reviewed(prescription_id: int) -> None:
    prescription = Prescription.objects.select_related("doctor__user", "patient__account").get(
        pk=prescription_id
    )
    values = {
        "id": prescription.pk,
        "patient": prescription.patient.real_name,
        "reason": system_label(prescription.get_review_decision_reason_display()),
        "comment": prescription.review_comment,
    }
    link = _detail_link(prescription)
    if prescription.status == S.APPROVED:
        doctor_subject = system_text(gettext_noop("Prescription #%(id)s approved"), **values)
        doctor_body = system_text(
            gettext_noop("A pharmacist approved your prescription for %(patient)s."), **values
        )
        patient_subject = system_text(gettext_noop("Your prescription has been approved"))
        patient_body = system_text(
            gettext_noop(
                "Prescription #%(id)s for %(patient)s was approved by a pharmacist. The medicine "
                "can now be bought until the prescription expires."
            ),
            **values,
        )
        patient_link = reverse("hospital:my-prescriptions")
    else:
        doctor_subject = system_text(gettext_noop("Prescription #%(id)s rejected"), **values)
        doctor_body = system_text(
            gettext_noop(
                "A pharmacist rejected your prescription for %(patient)s (%(reason)s): "
                "%(comment)s You may revise it and sign it again."
            ),
            **values,
        )
        patient_subject = system_text(gettext_noop("Your prescription was not approved"))
        patient_body = system_text(
            gettext_noop(
                "A pharmacist did not approve prescription #%(id)s for %(patient)s "
                "(%(reason)s). Your doctor has been told and may revise it."
            ),
            **values,
        )
        patient_link = reverse("hospital:my-prescriptions")
    notification_send(
        recipient=prescription.doctor.user,
        kind="hospital.prescription_reviewed",
        subject=doctor_subject,
        body=doctor_body,
        dedupe_key=f"prescription-reviewed:{prescription.pk}:doctor",
        link=link,
    )
    notification_send(
        recipient=prescription.patient.account,
        kind="hospital.prescription_reviewed",
        subject=patient_subject,
        body=patient_body,
        dedupe_key=f"prescription-reviewed:{prescription.pk}:patient",
        link=patient_link,
    )


def pharmacist_signature(prescription: Prescription) -> str:
    """The pharmacist's seal on the review: a digest of who approved, when, and the doctor's
    signature it approves, so neither can be changed without the seal failing."""
    text = f"{prescription.signature}|{prescription.reviewed_by_id}|{prescription.reviewed_at}"
    return hashlib.sha256(text.encode()).hexdigest()


def circulation_reference(prescription_id: int) -> str:
    """The prescription's number (hosp_rxno) in the medical-insurance circulation (7101)."""
    return f"prescription:{prescription_id}"


def _upload_circulation(prescription_id: int) -> None:
    """7101 to the medical-insurance centre, through the outbox in the approval's transaction:
    the broker or the centre being down never undoes or fails an approval, and the upload is
    not lost (the outbox relays it when the broker is back)."""
    from core.outbox import outbox_enqueue
    from insurance.tasks import upload_prescription_circulation

    prescription = Prescription.objects.select_related("doctor", "reviewed_by").get(
        pk=prescription_id
    )
    items = PrescriptionItem.objects.filter(prescription=prescription).select_related("drug")
    pharmacist = prescription.reviewed_by
    outbox_enqueue(
        upload_prescription_circulation,
        reference=circulation_reference(prescription.pk),
        patient_id=prescription.patient_id,
        diagnoses=list(prescription.diagnosis_codes),
        # The 对码 maps our formulary's codes to the national drug codes.
        lines=[
            {
                "code": item.drug.code,
                "name": item.drug.generic_name_zh,
                "quantity": item.quantity_packs,
            }
            for item in items.order_by("position", "id")
        ],
        doctor_name=prescription.doctor.name,
        doctor_signature=prescription.signature,
        pharmacist_name=(pharmacist.get_full_name() or pharmacist.email) if pharmacist else "",
        pharmacist_signature=pharmacist_signature(prescription),
    )


@transaction.atomic
def prescription_approve(
    *,
    pharmacist: Any,
    prescription_id: int,
    reason: str = "",
    comment: str = "",
    now: dt.datetime | None = None,
) -> Prescription:
    """The pharmacist approves: the prescription takes effect now and may be bought until its
    validity ends. A reason is optional (e.g. approved despite an interaction flag, with a
    comment). Approving again is no second effect."""
    now = now or timezone.now()
    prescription, done = _locked_for_decision(
        pharmacist=pharmacist, prescription_id=prescription_id, target=S.APPROVED, now=now
    )
    if done:
        return prescription
    _decide(
        prescription,
        pharmacist=pharmacist,
        target=S.APPROVED,
        reason=_check_reason(reason, required=False),
        comment=(comment or "").strip()[:2000],
        now=now,
    )
    _upload_circulation(prescription.pk)
    return prescription


@transaction.atomic
def prescription_reject(
    *,
    pharmacist: Any,
    prescription_id: int,
    reason: str,
    comment: str,
    now: dt.datetime | None = None,
) -> Prescription:
    """The pharmacist rejects with a structured reason and a comment the doctor can act on.
    The doctor may then revise it into a new version. Rejecting again is no second effect."""
    now = now or timezone.now()
    reason = _check_reason(reason, required=True)
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_("Tell the doctor what to change."), field="comment")
    prescription, done = _locked_for_decision(
        pharmacist=pharmacist, prescription_id=prescription_id, target=S.REJECTED, now=now
    )
    if done:
        return prescription
    _decide(
        prescription,
        pharmacist=pharmacist,
        target=S.REJECTED,
        reason=reason,
        comment=comment[:2000],
        now=now,
    )
    return prescription


# --- periodic scans ----------------------------------------------------------------------------


def prescriptions_alert_review_overdue(*, now: dt.datetime | None = None) -> int:
    """Tells the operators, once per prescription, about one waiting for review longer than
    PRESCRIPTION_REVIEW_OVERDUE_ALERT_AFTER. The event row marks it alerted."""
    now = now or timezone.now()
    cutoff = now - figure("PRESCRIPTION_REVIEW_OVERDUE_ALERT_AFTER")
    already = PrescriptionEvent.objects.filter(
        prescription_id=OuterRef("pk"), kind=EVENT_REVIEW_OVERDUE
    )
    due_ids = list(
        Prescription.objects.filter(status=S.PENDING_REVIEW, submitted_at__lte=cutoff)
        .exclude(Exists(already))
        .order_by("submitted_at", "id")
        .values_list("pk", flat=True)
    )
    alerted = 0
    for prescription_id in due_ids:
        with transaction.atomic():
            prescription = _locked(prescription_id)
            if (
                prescription.status != S.PENDING_REVIEW
                or prescription.events.filter(kind=EVENT_REVIEW_OVERDUE).exists()
            ):
                continue
            assert prescription.submitted_at is not None
            waited = int((now - prescription.submitted_at).total_seconds() // 60)
            prescription_event(prescription, EVENT_REVIEW_OVERDUE, None, waited_minutes=waited)
            transaction.on_commit(
                functools.partial(
                    notification_send_to_operators,
                    kind="operations.alert",
                    subject=_("Prescription #%(id)s waiting for review for %(minutes)s minutes")
                    % {"id": prescription.pk, "minutes": waited},
                    body=_("Risk rank %(risk)s. No pharmacist has decided it yet.")
                    % {"risk": prescription.risk_rank},
                    dedupe_key=f"prescription-review-overdue:{prescription.pk}",
                    link=f"/admin/hospital/prescription/{prescription.pk}/change/",
                )
            )
            alerted += 1
    return alerted


def prescriptions_expire_due(*, now: dt.datetime | None = None) -> int:
    """Expires prescriptions whose validity ended before today (Asia/Shanghai): approved ones
    not fully bought (their remaining packs stop being purchasable) and pending ones nobody
    reviewed in time. A fully bought prescription stays approved: it was used, not lapsed."""
    now = now or timezone.now()
    today = _today(now)
    packs_left = PrescriptionItem.objects.filter(
        prescription_id=OuterRef("pk"), purchased_packs__lt=F("quantity_packs")
    )
    due_ids = list(
        Prescription.objects.filter(valid_until__lt=today)
        .filter(Q(status=S.PENDING_REVIEW) | (Q(status=S.APPROVED) & Exists(packs_left)))
        .order_by("valid_until", "id")
        .values_list("pk", flat=True)
    )
    expired = 0
    for prescription_id in due_ids:
        with transaction.atomic():
            prescription = _locked(prescription_id)
            if prescription.status not in (S.PENDING_REVIEW, S.APPROVED):
                continue
            if prescription.valid_until is None or prescription.valid_until >= today:
                continue
            if (
                prescription.status == S.APPROVED
                and not prescription.items.filter(purchased_packs__lt=F("quantity_packs")).exists()
            ):
                continue
            previous = prescription.status
            Prescription.TRANSITIONS.check(previous, S.EXPIRED, action="expire")
            prescription.status = S.EXPIRED
            prescription.review_lease_holder = None
            prescription.review_lease_expires_at = None
            prescription.save(
                update_fields=[
                    "status",
                    "review_lease_holder",
                    "review_lease_expires_at",
                    "updated_at",
                ]
            )
            prescription_event(
                prescription,
                PrescriptionEvent.Kind.EXPIRED,
                None,
                previous_status=previous,
                valid_until=prescription.valid_until.isoformat(),
            )
            expired += 1
    return expired
