"""Reimbursement claims: submitted by the patient, adjudicated by the rules, sent to a claims
officer when the rules say so, decided per line. The same expense is claimed once per policy."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import access_log_record
from core.bulk import rows_update
from core.exceptions import Conflict, DomainError, InvalidTransition, NotAllowed, NotFound
from core.outbox import outbox_enqueue
from core.uploads import JPEG, PDF, PNG, upload_content_type
from insurance import selectors
from insurance.adjudication import Adjudication, ClaimLine
from insurance.models import Claim, ClaimDocument, Policy
from insurance.models import ClaimLine as ClaimLineRow
from insurance.services.coverage import (
    Coverage,
    Moves,
    adjudicate_coverage,
    coverage_for,
    engine_lines,
    move_years,
    moves_of,
)

CLAIM_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
S = Claim.Status


def _policies_of(policy: Policy) -> tuple[Policy | None, Policy | None]:
    return (policy, None) if policy.plan.is_social else (None, policy)


def _paid_part(claim: Claim, split: Any) -> int:
    """What this claim's policy pays of a line: the pool for a social policy, the insurer's
    share for a commercial one."""
    return split.pool if claim.policy.plan.is_social else split.commercial


@transaction.atomic
def claim_submit(
    *,
    account: Any,
    policy_id: int,
    expense_reference: str,
    lines: list[ClaimLine],
    descriptions: dict[str, str] | None = None,
    is_outside_receipt: bool = False,
) -> Claim:
    """Files a claim on one of the account's policies; the rules then adjudicate it (a task).
    A second claim for the same expense on the same policy is a conflict (409)."""
    policy = selectors.policy_get(account=account, policy_id=policy_id)
    reference = expense_reference.strip()
    if not reference:
        raise DomainError(_("Say what expense is claimed."), field="expense_reference")
    if not lines:
        raise DomainError(_("A claim needs at least one line."), field="lines")
    refs = [line.ref for line in lines]
    if len(set(refs)) != len(refs):
        raise DomainError(_("Each line needs its own reference."), field="lines")
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                patient_id=policy.patient_id,
                policy=policy,
                expense_reference=reference,
                is_outside_receipt=is_outside_receipt,
                billed_fen=sum(line.billed for line in lines),
                fingerprint=expense_fingerprint(lines),
                submitted_by=account,
            )
    except IntegrityError as error:
        raise Conflict(
            _("This expense has already been claimed on this policy."), code="already_claimed"
        ) from error
    ClaimLineRow.objects.bulk_create(
        ClaimLineRow(
            claim=claim,
            ref=line.ref,
            service_date=line.service_date,
            category=line.category.value,
            code=line.code,
            description=(descriptions or {}).get(line.ref, "")[:200],
            diagnoses=list(line.diagnoses),
            billed_fen=line.billed,
        )
        for line in lines
    )
    access_log_record(
        actor=account,
        patient_id=claim.patient_id,
        object_type="insurance.claim",
        object_id=claim.pk,
        action="create",
    )
    from insurance.tasks import adjudicate_claim

    outbox_enqueue(adjudicate_claim, claim_id=claim.pk)
    return claim


@transaction.atomic
def claim_document_add(*, account: Any, claim_id: int, upload: Any) -> ClaimDocument:
    """Attaches a receipt or report (PDF, JPEG or PNG) to a claim not yet decided."""
    claim = (
        Claim.objects.select_for_update(no_key=True)
        .filter(pk=claim_id, patient__account_id=account.pk)
        .first()
    )
    if claim is None:
        raise NotFound(_("Claim not found."))
    if claim.status not in (S.SUBMITTED, S.IN_REVIEW):
        raise InvalidTransition(claim.status, "add a document")
    content_type = upload_content_type(
        upload,
        allowed={PDF, JPEG, PNG},
        max_bytes=CLAIM_DOCUMENT_MAX_BYTES,
        field="file",
        too_large=_("A document may be at most %(mb)s MB."),
        wrong_type=_("Upload a PDF, JPEG or PNG."),
    )
    document = ClaimDocument(claim=claim, content_type=content_type, uploaded_by=account)
    document.file.save(upload.name or "document", upload, save=False)
    document.save()
    access_log_record(
        actor=account,
        patient_id=claim.patient_id,
        object_type="insurance.claimdocument",
        object_id=document.pk,
        action="create",
    )
    return document


def _rows(claim: Claim) -> list[ClaimLineRow]:
    return list(claim.lines.order_by("id"))


def expense_fingerprint(lines: list[ClaimLine]) -> str:
    """The expense as the lines describe it: dates, codes and amounts, whatever its reference."""
    parts = sorted(f"{line.service_date}|{line.code}|{line.billed}" for line in lines)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _locked_claim(claim_id: int) -> Claim:
    """The claim and its policy, locked for what is about to change it; with whether the same
    lines were claimed already (`has_duplicate`): under another reference, on any of the
    patient's policies, as a receipt claimed again under a new number, or on a second plan for
    the same share."""
    others = (
        Claim.objects.filter(patient_id=OuterRef("patient_id"), fingerprint=OuterRef("fingerprint"))
        .exclude(pk=OuterRef("pk"))
        .exclude(status=S.DENIED)
    )
    claim = (
        Claim.objects.select_for_update(no_key=True, of=("self", "policy"))
        .select_related("policy__plan", "patient")
        .annotate(has_duplicate=Exists(others))
        .filter(pk=claim_id)
        .first()
    )
    if claim is None:
        raise NotFound(_("Claim not found."))
    return claim


def _review_reason(claim: Claim, coverage: Coverage, proposed: int) -> str:
    version = (
        coverage.social_version if claim.policy.plan.is_social else coverage.commercial_version
    )
    threshold = version.manual_review_over_fen if version is not None else None
    if threshold is not None and proposed > threshold:
        return Claim.ReviewReason.OVER_THRESHOLD
    if claim.is_outside_receipt and not claim.documents.exists():
        return Claim.ReviewReason.MISSING_DOCUMENT
    if getattr(claim, "has_duplicate", False):
        return Claim.ReviewReason.SUSPECTED_DUPLICATE
    return ""


def _service_date(rows: list[ClaimLineRow]) -> dt.date:
    return min(row.service_date for row in rows)


def _lock_coverage(claim: Claim, rows: list[ClaimLineRow]) -> Coverage:
    return coverage_for(
        patient_id=claim.patient_id,
        on=_service_date(rows),
        provider_level="",
        policies=_policies_of(claim.policy),
        lock=True,
        policies_locked=True,
    )


def _approve(
    claim: Claim,
    rows: list[ClaimLineRow],
    coverage: Coverage,
    result: Adjudication,
    approved: int,
) -> None:
    """Moves the policy's year by what is approved: the deductible the rules used, and the
    amount paid (never more than the rules' remaining cap allows, checked by the caller)."""
    moves = moves_of(coverage, result)
    if claim.policy.plan.is_social:
        moves = Moves(social_deductible=moves.social_deductible, social_pool=approved)
    else:
        moves = Moves(commercial_deductible=moves.commercial_deductible, commercial=approved)
    social, commercial = _policies_of(claim.policy)
    move_years(
        social_policy_id=social.pk if social else None,
        commercial_policy_id=commercial.pk if commercial else None,
        year=_service_date(rows).year,
        moves=moves,
        sign=+1,
    )
    claim.deductible_used_fen = moves.social_deductible + moves.commercial_deductible
    claim.approved_fen = approved
    claim.decided_at = timezone.now()
    claim.status = S.APPROVED if approved > 0 else S.DENIED


def _unapprove(claim: Claim, rows: list[ClaimLineRow]) -> None:
    """Gives back to the policy's year what the decision moved: the exact reverse of
    `_approve`, from the amounts the claim kept."""
    if claim.policy.plan.is_social:
        moves = Moves(social_deductible=claim.deductible_used_fen, social_pool=claim.approved_fen)
    else:
        moves = Moves(
            commercial_deductible=claim.deductible_used_fen, commercial=claim.approved_fen
        )
    social, commercial = _policies_of(claim.policy)
    move_years(
        social_policy_id=social.pk if social else None,
        commercial_policy_id=commercial.pk if commercial else None,
        year=_service_date(rows).year,
        moves=moves,
        sign=-1,
    )
    claim.deductible_used_fen = claim.approved_fen = 0
    claim.decided_at = None


@transaction.atomic
def claim_adjudicate(*, claim_id: int) -> Claim:
    """The rules' pass over a submitted claim: each line's proposed amount and reasons; then
    either manual review (over the plan's threshold, an outside receipt without documents, a
    suspected duplicate) or an automatic decision. Running it again does nothing twice."""
    claim = _locked_claim(claim_id)
    if claim.status != S.SUBMITTED:
        return claim
    rows = _rows(claim)
    coverage = _lock_coverage(claim, rows)
    result = adjudicate_coverage(coverage, engine_lines(rows))
    splits = {split.ref: split for split in result.lines}
    for row in rows:
        split = splits[row.ref]
        row.proposed_fen = _paid_part(claim, split)
        row.reasons = [[reason.code.value, reason.amount] for reason in split.reasons]
    proposed = sum(row.proposed_fen for row in rows)
    claim.review_reason = _review_reason(claim, coverage, proposed)
    if claim.review_reason:
        claim.status = S.IN_REVIEW
    else:
        for row in rows:
            row.decision = ClaimLineRow.Decision.APPROVE
            row.approved_fen = row.proposed_fen
        _approve(claim, rows, coverage, result, proposed)
    rows_update(rows, ["proposed_fen", "reasons", "decision", "approved_fen"])
    claim.save(
        update_fields=[
            "status",
            "review_reason",
            "approved_fen",
            "deductible_used_fen",
            "decided_at",
        ]
    )
    return claim


@transaction.atomic
def claim_take_next(*, officer: Any) -> Claim | None:
    """The claims officer's next claim from the review queue, oldest first; one already taken
    and not decided comes back first. Two officers never take the same claim."""
    mine = Claim.objects.filter(assigned_to=officer, status=S.IN_REVIEW).order_by("assigned_at")
    if (claim := mine.first()) is not None:
        return claim
    claim = (
        Claim.objects.select_for_update(skip_locked=True, no_key=True)
        .filter(status=S.IN_REVIEW, assigned_to__isnull=True)
        .order_by("created_at", "id")
        .first()
    )
    if claim is None:
        return None
    claim.assigned_to = officer
    claim.assigned_at = timezone.now()
    claim.save(update_fields=["assigned_to", "assigned_at"])
    return claim


@dataclass(frozen=True)
class LineDecision:
    ref: str
    decision: str  # approve, adjust or deny
    approved_fen: int | None = None  # for adjust
    note: str = ""


@transaction.atomic
def claim_decide(*, officer: Any, claim_id: int, decisions: list[LineDecision]) -> Claim:
    """The officer's decision on every line of a claim in review: approve what the rules
    propose, adjust to an amount with a reason, or deny with a reason."""
    claim = _locked_claim(claim_id)
    if claim.status != S.IN_REVIEW:
        raise InvalidTransition(claim.status, "decide")
    if claim.assigned_to_id != officer.pk:
        raise NotAllowed(_("Take the claim from the queue before deciding it."))
    line_rows = _rows(claim)
    rows = {row.ref: row for row in line_rows}
    given = {decision.ref: decision for decision in decisions}
    if set(given) != set(rows):
        raise DomainError(_("Decide every line of the claim, once."), field="lines")
    D = ClaimLineRow.Decision
    for ref, decision in given.items():
        row = rows[ref]
        note = decision.note.strip()
        if decision.decision == D.APPROVE:
            row.approved_fen = row.proposed_fen
        elif decision.decision == D.ADJUST:
            if decision.approved_fen is None or not 0 <= decision.approved_fen <= row.billed_fen:
                raise DomainError(
                    _("An adjusted amount is between nothing and what was billed."),
                    field="lines",
                )
            row.approved_fen = decision.approved_fen
        elif decision.decision == D.DENY:
            row.approved_fen = 0
        else:
            raise DomainError(_("Approve, adjust or deny."), field="lines")
        if decision.decision != D.APPROVE and not note:
            raise DomainError(_("Say why, for the patient."), field="lines")
        row.decision, row.decision_note = decision.decision, note[:300]
    coverage = _lock_coverage(claim, line_rows)
    result = adjudicate_coverage(coverage, engine_lines(line_rows))
    approved = sum(row.approved_fen for row in rows.values())
    _check_cap(claim, coverage, approved)
    _approve(claim, line_rows, coverage, result, approved)
    rows_update(list(rows.values()), ["decision", "approved_fen", "decision_note"])
    claim.save(update_fields=["status", "approved_fen", "deductible_used_fen", "decided_at"])
    access_log_record(
        actor=officer,
        patient_id=claim.patient_id,
        object_type="insurance.claim",
        object_id=claim.pk,
        action="update",
        detail=f"decided: {claim.status} {approved}",
    )
    return claim


def _check_cap(claim: Claim, coverage: Coverage, approved: int) -> None:
    """An officer may adjust a line up, never the year past the plan's cap."""
    if claim.policy.plan.is_social:
        rules, year = coverage.social_rules, coverage.social_year
        cap = rules.annual_cap if rules else 0
        paid = year.pool_paid if year else 0
    else:
        c_rules, c_year = coverage.commercial_rules, coverage.commercial_year
        cap = c_rules.annual_maximum if c_rules else 0  # with the year's health bonus
        paid = c_year.paid if c_year else 0
    if paid + approved > cap:
        raise DomainError(
            _("That would pay past the plan's cap for the year (¥%(left)s left).")
            % {"left": f"{max(cap - paid, 0) / 100:.2f}"},
            field="lines",
        )


CLAIM_PAYOUT_PURPOSE = "insurance_claim"


def claim_pay_out(*, claim_id: int) -> Claim:
    """Reimburses an approved claim to the patient's account holder through the payments
    app. The payout is asked for once per claim; a failed one is sent again by calling this
    again. The claim is paid when the payout succeeded. Running it again does nothing twice."""
    from payments.models import Payout
    from payments.services import payout_request, payout_submit

    with transaction.atomic():
        claim = _locked_claim(claim_id)
        if claim.status == S.PAID:
            return claim
        if claim.status != S.APPROVED:
            raise InvalidTransition(claim.status, "pay out")
        payout = payout_request(
            payee=claim.patient.account,
            purpose=CLAIM_PAYOUT_PURPOSE,
            reference=str(claim.pk),
            amount=Decimal(claim.approved_fen) / 100,
            description=f"{claim.policy.plan.code} {claim.expense_reference}",
        )
        if claim.payout_id != payout.pk:
            claim.payout = payout
            claim.save(update_fields=["payout"])
    payout = payout_submit(payout_id=payout.pk)
    with transaction.atomic():
        claim = _locked_claim(claim_id)
        if payout.status == Payout.Status.SUCCEEDED and claim.status == S.APPROVED:
            claim.status, claim.paid_at = S.PAID, payout.completed_at or timezone.now()
            claim.save(update_fields=["status", "paid_at"])
    return claim


def claims_pay_out_approved() -> int:
    """The day's payout run: every approved claim is reimbursed (a refused payout is tried
    again). Each claim is its own transaction, so one refused payout stops none of the others.
    Returns how many were paid."""
    paid = 0
    for claim_id in (
        Claim.objects.filter(status=S.APPROVED)
        .order_by("decided_at", "id")
        .values_list("id", flat=True)
    ):
        paid += claim_pay_out(claim_id=claim_id).status == S.PAID
    return paid


@transaction.atomic
def claim_return_to_queue(*, claim_id: int, actor: Any) -> Claim:
    """Puts a claim back in the manual-review queue, untaken: a claim an officer took and
    left, or one decided (approved or denied, not yet paid) that has to be looked at again.
    A decision is undone exactly: the policy's year gets back what it moved."""
    claim = _locked_claim(claim_id)
    if claim.status == S.IN_REVIEW and claim.assigned_to_id is None:
        return claim
    if claim.status not in (S.IN_REVIEW, S.APPROVED, S.DENIED):
        raise InvalidTransition(claim.status, "return to the review queue")
    if claim.status == S.APPROVED and claim.payout_id is not None:
        from payments.models import Payout

        # A payout under way may still succeed: only one the gateway refused can be withdrawn.
        if claim.payout and claim.payout.status != Payout.Status.FAILED:
            raise InvalidTransition(claim.status, "return to the review queue")
    rows = _rows(claim)
    if claim.status in (S.APPROVED, S.DENIED):
        _lock_coverage(claim, rows)  # the year rows move under their locks
        _unapprove(claim, rows)
        for row in rows:
            row.decision, row.approved_fen, row.decision_note = ClaimLineRow.Decision.PENDING, 0, ""
        ClaimLineRow.objects.bulk_update(rows, ["decision", "approved_fen", "decision_note"])
    claim.status, claim.assigned_to, claim.assigned_at = S.IN_REVIEW, None, None
    claim.save(
        update_fields=[
            "status",
            "assigned_to",
            "assigned_at",
            "approved_fen",
            "deductible_used_fen",
            "decided_at",
        ]
    )
    access_log_record(
        actor=actor,
        patient_id=claim.patient_id,
        object_type="insurance.claim",
        object_id=claim.pk,
        action="update",
        detail="returned to the review queue",
    )
    return claim


@transaction.atomic
def claim_readjudicate(*, claim_id: int) -> Claim:
    """Runs the rules again over a claim not yet decided: one whose task never ran, or one in
    review whose reason may have gone (the missing document has arrived). An officer's
    taking of it is released; a decided claim is left as it is."""
    claim = _locked_claim(claim_id)
    if claim.status not in (S.SUBMITTED, S.IN_REVIEW):
        raise InvalidTransition(claim.status, "run the rules again")
    if claim.status == S.IN_REVIEW:
        claim.status, claim.review_reason = S.SUBMITTED, ""
        claim.assigned_to, claim.assigned_at = None, None
        claim.save(update_fields=["status", "review_reason", "assigned_to", "assigned_at"])
    return claim_adjudicate(claim_id=claim.pk)
