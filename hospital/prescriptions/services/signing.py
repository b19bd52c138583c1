"""Signing an e-prescription (second factor, blocking findings, tamper-evident signature),
extending and revising it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.mfa import totp_code_is_valid, totp_code_spend
from core.exceptions import Conflict, DomainError, NotAllowed, NotFound
from core.system_text import system_text
from hospital.consultations.services.chat import consultation_post_system_message
from hospital.doctors.services import doctor_check_may_practise
from hospital.prescriptions.decision_support.knowledge import Severity
from hospital.prescriptions.models import (
    Prescription,
    PrescriptionEvent,
    PrescriptionFinding,
    PrescriptionItem,
)
from hospital.prescriptions.services.findings import prescription_findings_refresh
from hospital.prescriptions.services.prescribing import (
    ItemInput,
    PrescriptionBlocked,
    PrescriptionContent,
    check_may_prescribe,
    locked_consultation,
    locked_own_prescription,
    prescription_audit,
    prescription_content_validate,
    prescription_event,
    require_draft,
)
from hospital.prescriptions.signature import prescription_signature
from hospital.rules import figure
from notifications.services import notification_send

S = Prescription.Status

# Prescriptions whose items the patient is (or will be) taking: another one of these is an
# active medication for decision support.
CURRENT_STATUSES = (S.PENDING_REVIEW, S.APPROVED)


class MfaRequired(NotAllowed):
    code = "mfa_required"


def mfa_is_recent(*, verified_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    if verified_at is None:
        return False
    now = now or timezone.now()
    return dt.timedelta(0) <= now - verified_at <= figure("PRESCRIPTION_SIGNING_MFA_MAX_AGE")


def _wrong_code() -> MfaRequired:
    return MfaRequired(
        _("The authenticator code is wrong or was already used; enter the current one."),
        field="totp_code",
    )


def _check_second_factor(
    doctor_user: Any, totp_code: str, mfa_verified_at: dt.datetime | None
) -> str:
    """A TOTP code in the request, or a second factor confirmed in this session (the app's
    token or the browser's cookie) within the last few minutes. Returns the code to spend
    with `_spend_second_factor` once nothing else refuses the action, so a signing refused
    for a missing override reason can be retried with the same code."""
    code = totp_code.strip()
    if code:
        if not totp_code_is_valid(doctor_user, code):
            raise _wrong_code()
        return code
    if not mfa_is_recent(verified_at=mfa_verified_at):
        raise MfaRequired(
            _("Confirm with your authenticator code to sign (required within the last 5 minutes)."),
            field="totp_code",
        )
    return ""


def _spend_second_factor(doctor_user: Any, code: str) -> None:
    """A TOTP code is good once: a concurrent request that used it first wins."""
    if code and not totp_code_spend(doctor_user, code):
        raise _wrong_code()


def _check_blocking_findings(
    prescription: Prescription, override_reasons: Mapping[str, str]
) -> list[PrescriptionFinding]:
    stored = list(prescription.findings.all())
    contraindicated = [f for f in stored if f.severity == Severity.CONTRAINDICATED]
    if contraindicated:
        raise PrescriptionBlocked(
            _("Decision support found a contraindication; change the prescription."),
            findings=contraindicated,
            code="contraindicated",
        )
    missing = [
        f
        for f in stored
        if f.severity == Severity.MAJOR
        and not (override_reasons.get(f.rule_id) or f.override_reason or "").strip()
    ]
    if missing:
        raise PrescriptionBlocked(
            _("Give a reason for keeping each major warning (override_reasons by rule)."),
            findings=missing,
            code="override_reason_required",
        )
    return stored


@transaction.atomic
def prescription_sign(
    *,
    doctor_user: Any,
    prescription_id: int,
    totp_code: str = "",
    mfa_verified_at: dt.datetime | None = None,
    override_reasons: Mapping[str, str] | None = None,
) -> Prescription:
    """The treating doctor signs the draft: rules and decision support are checked again
    (failing closed), contraindications refuse, major findings need a reason each; the draft
    then waits for pharmacist review."""
    override_reasons = {k: str(v).strip() for k, v in (override_reasons or {}).items() if v}
    consultation_id = (
        Prescription.objects.filter(pk=prescription_id).values_list("consultation_id", flat=True)
    ).first()
    if consultation_id is None:
        raise NotFound(_("No such prescription."))
    consultation = locked_consultation(consultation_id)
    prescription = locked_own_prescription(doctor_user, prescription_id)
    if prescription.status == S.PENDING_REVIEW and prescription.signature:
        return prescription  # a double click: signed already
    require_draft(prescription, "sign")
    check_may_prescribe(consultation, doctor_user, revising=prescription.revision_of_id is not None)
    code = _check_second_factor(doctor_user, totp_code, mfa_verified_at)

    today = timezone.localdate()
    current = [
        ItemInput(
            drug_code=i.drug.code,
            dose=i.dose,
            dose_unit=i.dose_unit,
            frequency=i.frequency,
            duration_days=i.duration_days,
            quantity_packs=i.quantity_packs,
            route=i.route,
            instructions=i.instructions,
            is_important=i.is_important,
        )
        for i in prescription.items.select_related("drug").order_by("position", "id")
    ]
    prescription_content_validate(
        consultation=consultation,
        content=PrescriptionContent(
            items=current,
            diagnosis_codes=prescription.diagnosis_codes,
            long_term_reason=prescription.long_term_reason,
            guardian_name=prescription.guardian_name,
        ),
        today=today,
    )
    prescription_findings_refresh(prescription, fail_closed=True, override_reasons=override_reasons)
    _check_blocking_findings(prescription, override_reasons)
    _spend_second_factor(doctor_user, code)

    now = timezone.now()
    prescription.issued_on = today
    prescription.valid_until = today
    prescription.signed_at = now
    prescription.submitted_at = now
    Prescription.TRANSITIONS.check(prescription.status, S.PENDING_REVIEW, action="sign")
    prescription.status = S.PENDING_REVIEW
    prescription.signature = prescription_signature(prescription)
    prescription.save(
        update_fields=[
            "issued_on",
            "valid_until",
            "signed_at",
            "submitted_at",
            "status",
            "signature",
            "risk_rank",
            "knowledge_version",
            "updated_at",
        ]
    )
    overridden = {
        f.rule_id: f.override_reason for f in prescription.findings.all() if f.override_reason
    }
    prescription_event(
        prescription,
        PrescriptionEvent.Kind.SIGNED,
        doctor_user,
        knowledge_version=prescription.knowledge_version,
        risk_rank=prescription.risk_rank,
        overrides=overridden,
        second_factor="totp" if totp_code else "session",
    )
    consultation_post_system_message(
        consultation=consultation,
        text=system_text(
            gettext_noop(
                "Prescription issued (Rx #%(id)s, version %(version)s); a pharmacist reviews it "
                "next."
            ),
            id=prescription.pk,
            version=prescription.version,
        ),
    )
    _notify_issued(prescription)
    prescription_audit(doctor_user, prescription, "update", "signed")
    return prescription


def _notify_issued(prescription: Prescription) -> None:
    link = reverse("hospital:prescription-detail", kwargs={"pk": prescription.pk})
    recipient = prescription.patient.account

    def send() -> None:
        notification_send(
            recipient=recipient,
            kind="hospital.prescription_issued",
            subject=system_text(gettext_noop("Your prescription has been issued")),
            body=system_text(
                gettext_noop(
                    "Dr %(doctor)s issued a prescription for %(patient)s. A pharmacist reviews it "
                    "before the medicine can be bought."
                ),
                doctor=prescription.doctor.name,
                patient=prescription.patient.real_name,
            ),
            dedupe_key=f"prescription-issued:{prescription.pk}",
            link=link,
        )

    transaction.on_commit(send)


@transaction.atomic
def prescription_extend(
    *,
    doctor_user: Any,
    prescription_id: int,
    valid_until: dt.date,
    totp_code: str = "",
    mfa_verified_at: dt.datetime | None = None,
) -> Prescription:
    """Extends a signed prescription's validity to at most PRESCRIPTION_MAX_VALIDITY_DAYS days
    (the day of issue counting as the first). The validity is part of the signed content, so
    the doctor confirms with a second factor and the prescription is signed again."""
    prescription = locked_own_prescription(doctor_user, prescription_id)
    if prescription.status not in CURRENT_STATUSES or prescription.issued_on is None:
        raise Conflict(
            _("Only a signed prescription that is still valid can be extended."),
            code="not_extendable",
        )
    doctor_check_may_practise(doctor=prescription.doctor)
    days = figure("PRESCRIPTION_MAX_VALIDITY_DAYS")
    latest = prescription.issued_on + dt.timedelta(days=days - 1)
    if valid_until > latest:
        raise DomainError(
            _("A prescription is valid for at most %(n)s days from its issue (until %(date)s).")
            % {"n": days, "date": latest.isoformat()},
            field="valid_until",
            code="validity_too_long",
        )
    if prescription.valid_until and valid_until <= prescription.valid_until:
        if valid_until == prescription.valid_until:
            return prescription
        raise DomainError(
            _("An extension cannot shorten the validity."),
            field="valid_until",
            code="validity_shortened",
        )
    if prescription.valid_until and prescription.valid_until < timezone.localdate():
        raise Conflict(_("This prescription has already expired."), code="expired")
    _spend_second_factor(doctor_user, _check_second_factor(doctor_user, totp_code, mfa_verified_at))
    previous = prescription.valid_until
    prescription.valid_until = valid_until
    prescription.signature = prescription_signature(prescription)
    prescription.save(update_fields=["valid_until", "signature", "updated_at"])
    prescription_event(
        prescription,
        PrescriptionEvent.Kind.EXTENDED,
        doctor_user,
        previous=previous.isoformat() if previous else None,
        valid_until=valid_until.isoformat(),
    )
    prescription_audit(
        doctor_user, prescription, "update", f"extended to {valid_until.isoformat()}"
    )
    return prescription


@transaction.atomic
def prescription_revise(*, doctor_user: Any, prescription_id: int) -> Prescription:
    """A new draft (version + 1) copying a rejected prescription, for its doctor to correct and
    sign again; the rejected one stays as it is. Asking twice returns the same revision."""
    prescription = locked_own_prescription(doctor_user, prescription_id)
    existing = Prescription.objects.filter(revision_of=prescription).first()
    if existing is not None:
        return existing
    if prescription.status != S.REJECTED:
        raise Conflict(_("Only a rejected prescription can be revised."), code="not_rejected")
    consultation = locked_consultation(prescription.consultation_id)
    check_may_prescribe(consultation, doctor_user, revising=True)
    revision = Prescription.objects.create(
        consultation=prescription.consultation,
        patient=prescription.patient,
        doctor=prescription.doctor,
        status=S.DRAFT,
        version=prescription.version + 1,
        revision_of=prescription,
        diagnosis_codes=list(prescription.diagnosis_codes),
        supply_days=prescription.supply_days,
        long_term_reason=prescription.long_term_reason,
        guardian_name=prescription.guardian_name,
    )
    PrescriptionItem.objects.bulk_create(
        [
            PrescriptionItem(
                prescription=revision,
                drug_id=item.drug_id,
                dose=item.dose,
                dose_unit=item.dose_unit,
                route=item.route,
                frequency=item.frequency,
                duration_days=item.duration_days,
                quantity_packs=item.quantity_packs,
                instructions=item.instructions,
                is_important=item.is_important,
                position=item.position,
            )
            for item in prescription.items.order_by("position", "id")
        ]
    )
    prescription_findings_refresh(revision, fail_closed=False)
    revision.save(update_fields=["risk_rank", "knowledge_version"])
    prescription_event(
        revision, PrescriptionEvent.Kind.CREATED, doctor_user, revision_of=prescription.pk
    )
    prescription_event(
        prescription, PrescriptionEvent.Kind.REVISED, doctor_user, revision=revision.pk
    )
    prescription_audit(doctor_user, revision, "create", f"revision of #{prescription.pk}")
    return revision
