"""Renewal requests (续方): the patient asks, the prescribing doctor opens a follow-up
consultation or declines with a reason. Nothing is prescribed automatically: a new prescription
is written, signed and reviewed in the follow-up consultation like any other.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from audit.services import access_log_record
from core.exceptions import Conflict, DomainError, NotFound
from core.system_text import system_text
from hospital.consultations.models import Consultation
from hospital.consultations.services.chat import consultation_post_system_message
from hospital.doctors.services import doctor_check_may_practise
from hospital.prescriptions.models import Prescription, RenewalRequest
from hospital.records.services.entries import condition_is_chronic_default
from notifications.kinds import kind_register
from notifications.services import notification_send

R = RenewalRequest.Status
RENEWABLE_STATUSES = (Prescription.Status.APPROVED, Prescription.Status.EXPIRED)

kind_register("hospital.renewal_requested", gettext_lazy("Renewal requested"))
kind_register("hospital.renewal_decided", gettext_lazy("Renewal request answered"))


def prescription_is_chronic(prescription: Prescription) -> bool:
    """A long-term supply (beyond the normal 7 days) or a chronic diagnosis."""
    return prescription.is_long_term or any(
        condition_is_chronic_default(str(code)) for code in prescription.diagnosis_codes or []
    )


def prescription_renewal_problem(prescription: Prescription) -> str:
    """Why this prescription cannot be renewed, or "" when it can."""
    if prescription.status not in RENEWABLE_STATUSES:
        return str(_("Only an approved or expired prescription can be renewed."))
    if not prescription_is_chronic(prescription):
        return str(
            _("Only prescriptions for a long-term condition can be renewed; book a consultation.")
        )
    return ""


def _audit(actor: Any, renewal: RenewalRequest, action: str, detail: str) -> None:
    access_log_record(
        actor=actor,
        patient_id=renewal.patient_id,
        object_type="renewal_request",
        object_id=renewal.pk,
        action=action,
        detail=detail,
    )


def _notify(recipient: Any, *, kind: str, key: str, subject: str, body: str, link: str) -> None:
    transaction.on_commit(
        functools.partial(
            notification_send,
            recipient=recipient,
            kind=kind,
            subject=subject,
            body=body,
            dedupe_key=key,
            link=link,
        )
    )


@transaction.atomic
def renewal_request_create(
    *, account: Any, prescription_id: int, note: str = ""
) -> tuple[RenewalRequest, bool]:
    """The patient's account asks the prescribing doctor to renew a chronic prescription.
    Returns the request and whether it is new: asking again while one waits returns that one
    (decided under the prescription's row lock, so two asks at once make one request)."""
    prescription = (
        Prescription.objects.select_for_update(of=("self",))
        .select_related("patient", "doctor", "doctor__user")
        .filter(pk=prescription_id, patient__account_id=getattr(account, "pk", None))
        .first()
    )
    if prescription is None:
        raise NotFound(_("No such prescription."))
    pending = RenewalRequest.objects.filter(prescription=prescription, status=R.PENDING).first()
    if pending is not None:
        return pending, False
    problem = prescription_renewal_problem(prescription)
    if problem:
        raise Conflict(problem, code="renewal_not_allowed")
    note = (note or "").strip()
    if len(note) > 1000:
        raise DomainError(_("Keep the note under 1000 characters."), field="note")
    renewal = RenewalRequest.objects.create(
        prescription=prescription,
        patient=prescription.patient,
        requested_by=account,
        note=note,
    )
    _notify(
        prescription.doctor.user,
        kind="hospital.renewal_requested",
        key=f"renewal-requested:{renewal.pk}",
        subject=_("Renewal requested for %(patient)s")
        % {"patient": prescription.patient.real_name},
        body=_("%(patient)s asks you to renew prescription #%(id)s.")
        % {"patient": prescription.patient.real_name, "id": prescription.pk},
        link=reverse("hospital:renewal-queue"),
    )
    _audit(account, renewal, "create", f"renewal of prescription {prescription.pk}")
    return renewal, True


def _locked_for_doctor(doctor_user: Any, renewal_request_id: int) -> RenewalRequest:
    renewal = (
        RenewalRequest.objects.select_for_update(of=("self",))
        .select_related(
            "prescription",
            "prescription__doctor",
            "prescription__doctor__department",
            "prescription__consultation",
            "patient",
            "patient__account",
        )
        .filter(pk=renewal_request_id)
        .first()
    )
    if renewal is None or renewal.prescription.doctor.user_id != getattr(doctor_user, "pk", None):
        raise NotFound(_("No such renewal request."))
    return renewal


def _open_follow_up_consultation(renewal: RenewalRequest, *, doctor_user: Any) -> Consultation:
    """A text consultation the doctor opens for the renewal, already under way.

    Consultations without an appointment are of the "quick" kind in the model; this one skips
    the department's queue because its doctor is known. The earlier consultation's follow-up
    assessment and evidence carry over: the condition was already diagnosed offline and is on
    record, which is what a renewal continues. The doctor may assess it again.
    """
    prescription = renewal.prescription
    doctor = prescription.doctor
    original = prescription.consultation
    now = timezone.now()
    consultation = Consultation.objects.create(
        patient=renewal.patient,
        doctor=doctor,
        department=doctor.department,
        kind=Consultation.Kind.QUICK,
        mode="text",
        status=Consultation.Status.OPEN,
        chief_complaint=str(
            _("Renewal of prescription #%(id)s (%(codes)s)")
            % {"id": prescription.pk, "codes": ", ".join(prescription.diagnosis_codes or [])}
        )
        + (f"\n{renewal.note}" if renewal.note else ""),
        opened_at=now,
        qualifies_as_follow_up=original.qualifies_as_follow_up,
        follow_up_note=str(
            _("Carried over from consultation #%(id)s for a renewal.") % {"id": original.pk}
        ),
    )
    consultation.follow_up_evidence.set(original.follow_up_evidence.all())
    consultation.events.create(
        from_status="", to_status=Consultation.Status.OPEN, actor=doctor_user, note="renewal"
    )
    consultation_post_system_message(
        consultation=consultation,
        text=system_text(
            gettext_noop(
                "Dr. %(name)s opened this follow-up for the renewal of prescription #%(id)s."
            ),
            name=doctor.name,
            id=prescription.pk,
        ),
    )
    access_log_record(
        actor=doctor_user,
        patient_id=consultation.patient_id,
        object_type="consultation",
        object_id=consultation.pk,
        action="create",
        detail=f"opened for renewal request {renewal.pk}",
    )
    return consultation


@transaction.atomic
def renewal_request_accept(*, doctor_user: Any, renewal_request_id: int) -> RenewalRequest:
    """The prescribing doctor opens a follow-up consultation for the renewal; the patient is
    told and joins it. Accepting again returns the same consultation."""
    renewal = _locked_for_doctor(doctor_user, renewal_request_id)
    if renewal.status == R.ACCEPTED:
        return renewal
    RenewalRequest.TRANSITIONS.check(renewal.status, R.ACCEPTED, action="accept")
    doctor_check_may_practise(doctor=renewal.prescription.doctor)
    consultation = _open_follow_up_consultation(renewal, doctor_user=doctor_user)
    renewal.status = R.ACCEPTED
    renewal.follow_up_consultation = consultation
    renewal.decided_by = doctor_user
    renewal.decided_at = timezone.now()
    renewal.save(
        update_fields=["status", "follow_up_consultation", "decided_by", "decided_at", "updated_at"]
    )
    _notify(
        renewal.patient.account,
        kind="hospital.renewal_decided",
        key=f"renewal-decided:{renewal.pk}",
        subject=_("Your doctor opened a follow-up consultation"),
        body=_(
            "Dr. %(name)s opened a consultation about renewing prescription #%(id)s for "
            "%(patient)s. Join it to continue."
        )
        % {
            "name": renewal.prescription.doctor.name,
            "id": renewal.prescription_id,
            "patient": renewal.patient.real_name,
        },
        link=f"/consultations/{consultation.pk}/",
    )
    _audit(doctor_user, renewal, "update", f"accepted: consultation {consultation.pk}")
    return renewal


@transaction.atomic
def renewal_request_decline(
    *, doctor_user: Any, renewal_request_id: int, reason: str
) -> RenewalRequest:
    """The prescribing doctor declines with a reason the patient reads (e.g. "needs an in-person
    check of kidney function first"). Declining again changes nothing."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Tell the patient why."), field="reason")
    if len(reason) > 1000:
        raise DomainError(_("Keep the reason under 1000 characters."), field="reason")
    renewal = _locked_for_doctor(doctor_user, renewal_request_id)
    if renewal.status == R.DECLINED:
        return renewal
    RenewalRequest.TRANSITIONS.check(renewal.status, R.DECLINED, action="decline")
    doctor_check_may_practise(doctor=renewal.prescription.doctor)
    renewal.status = R.DECLINED
    renewal.decline_reason = reason
    renewal.decided_by = doctor_user
    renewal.decided_at = timezone.now()
    renewal.save(
        update_fields=["status", "decline_reason", "decided_by", "decided_at", "updated_at"]
    )
    _notify(
        renewal.patient.account,
        kind="hospital.renewal_decided",
        key=f"renewal-decided:{renewal.pk}",
        subject=_("Your renewal request was declined"),
        body=_("Dr. %(name)s declined to renew prescription #%(id)s: %(reason)s")
        % {
            "name": renewal.prescription.doctor.name,
            "id": renewal.prescription_id,
            "reason": reason,
        },
        link=reverse("hospital:my-prescriptions"),
    )
    _audit(doctor_user, renewal, "update", "declined")
    return renewal
