"""The reviewing pharmacist's intervention on a decision-support finding: accepted (the warning
stands and was acted on), rejected (it does not apply to this patient) or changed (dose, drug or
monitoring changed with the prescriber). With the prescriber's override reasons they show, rule
by rule, which warnings people heed and which they wave through."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import Conflict, DomainError, InvalidTransition, NotAllowed, NotFound
from hospital.prescriptions.models import FindingIntervention, Prescription, PrescriptionFinding
from hospital.prescriptions.services.prescribing import prescription_audit, prescription_event
from hospital.prescriptions.services.review import _check_pharmacist, _lease_is_live, _locked

# The event kind written beside PrescriptionEvent.Kind's own.
EVENT_INTERVENTION = "intervention"

NOTE_MAX_LENGTH = 1000


def _check_may_answer(prescription: Prescription, pharmacist: Any, now: dt.datetime) -> None:
    """The pharmacist reviewing it now, or the one who reviewed it (recording afterwards what
    was agreed on the phone with the prescriber)."""
    if prescription.doctor.user_id == pharmacist.pk:
        raise NotAllowed(
            _("A prescriber cannot review their own prescription."), code="own_prescription"
        )
    if prescription.status == Prescription.Status.PENDING_REVIEW:
        if (
            _lease_is_live(prescription, now)
            and prescription.review_lease_holder_id != pharmacist.pk
        ):
            raise Conflict(
                _("Another pharmacist is reviewing this prescription."), code="review_leased"
            )
        return
    if prescription.reviewed_by_id == pharmacist.pk:
        return
    raise InvalidTransition(prescription.status, "intervention")


@transaction.atomic
def finding_intervention_record(
    *,
    pharmacist: Any,
    prescription_id: int,
    finding_id: int,
    outcome: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> FindingIntervention:
    """Records (or corrects) the pharmacist's answer to one finding of the prescription.
    Sending the same answer again changes nothing."""
    now = now or timezone.now()
    _check_pharmacist(pharmacist)
    if outcome not in FindingIntervention.Outcome.values:
        raise DomainError(
            _("Choose one of: %(outcomes)s.")
            % {"outcomes": ", ".join(FindingIntervention.Outcome.values)},
            field="outcome",
        )
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(_("At most %(n)s characters.") % {"n": NOTE_MAX_LENGTH}, field="note")
    prescription = _locked(prescription_id)
    _check_may_answer(prescription, pharmacist, now)
    finding = PrescriptionFinding.objects.filter(pk=finding_id, prescription=prescription).first()
    if finding is None:
        raise NotFound(_("No such finding on this prescription."))
    if outcome != FindingIntervention.Outcome.ACCEPTED and not note:
        raise DomainError(
            _("Say why the warning does not apply, or what was changed."), field="note"
        )
    intervention = FindingIntervention.objects.filter(finding=finding).first()
    if intervention is not None:
        if (intervention.outcome, intervention.note) == (outcome, note):
            return intervention  # a retry or double click
        if intervention.pharmacist_id != pharmacist.pk:
            raise Conflict(
                _("Another pharmacist already answered this warning."),
                code="intervention_recorded",
            )
        intervention.outcome, intervention.note = outcome, note
        intervention.save(update_fields=["outcome", "note", "updated_at"])
    else:
        intervention = FindingIntervention.objects.create(
            finding=finding,
            prescription=prescription,
            rule_id=finding.rule_id,
            severity=finding.severity,
            pharmacist=pharmacist,
            outcome=outcome,
            note=note,
        )
    prescription_event(
        prescription,
        EVENT_INTERVENTION,
        pharmacist,
        finding_id=finding.pk,
        rule_id=finding.rule_id,
        outcome=outcome,
    )
    prescription_audit(pharmacist, prescription, "update", f"intervention:{outcome}")
    return intervention
