"""Reads of insurance: the plan version in force, the engine's rules from it, policies and
what they still cover."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from insurance.adjudication import CommercialRules, SocialRules
from insurance.models import (
    Claim,
    ClaimLine,
    IncentiveGrant,
    PlanVersion,
    Policy,
    PolicyYear,
    PrescriptionUpload,
    Settlement,
    SettlementLine,
)
from insurance.reasons import reason_sentence


def plan_version_in_force(*, plan_id: int, on: dt.date) -> PlanVersion | None:
    """The version whose effective date is the latest on or before the date."""
    return (
        PlanVersion.objects.filter(plan_id=plan_id, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )


@dataclass(frozen=True)
class RuleRows:
    """A version's ratios, chronic diseases and exclusions, as the engine's rules need them."""

    ratios: tuple[tuple[str, str, int], ...]  # category, provider level, ratio
    chronic_prefixes: tuple[str, ...]
    excluded_diagnosis_prefixes: tuple[str, ...]
    excluded_drug_codes: tuple[str, ...]


# Every claim and quote needs its plan's rows; they change rarely (an operator's edit, which
# gives the version a new revision), so they are kept per version and revision.
_rule_rows_kept: dict[tuple[int, str], RuleRows] = {}


def rule_rows(version: PlanVersion) -> RuleRows:
    key = (version.pk, version.rules_revision)
    kept = _rule_rows_kept.get(key) if version.rules_revision else None
    if kept is not None:
        return kept
    exclusions = list(version.exclusions.all())
    rows = RuleRows(
        ratios=tuple(
            (row.category, row.provider_level, row.ratio_bp) for row in version.ratios.all()
        ),
        chronic_prefixes=tuple(sorted(c.icd10_prefix for c in version.chronic.all())),
        excluded_diagnosis_prefixes=tuple(
            sorted(e.code for e in exclusions if e.kind == e.Kind.DIAGNOSIS)
        ),
        excluded_drug_codes=tuple(sorted(e.code for e in exclusions if e.kind == e.Kind.DRUG)),
    )
    if version.rules_revision:
        if len(_rule_rows_kept) > 1000:
            _rule_rows_kept.clear()
        _rule_rows_kept[key] = rows
    return rows


def _ratios(rows: RuleRows, provider_level: str) -> dict[str, int]:
    """A ratio set for the provider's level wins over the one for any level."""
    ratios: dict[str, int] = {}
    for category, level, ratio in sorted(rows.ratios, key=lambda r: r[1] != ""):
        if level in ("", provider_level):
            ratios[category] = ratio
    return ratios


def social_rules(*, version: PlanVersion, provider_level: str = "") -> SocialRules:
    rows = rule_rows(version)
    return SocialRules(
        deductible=version.deductible_fen,
        annual_cap=version.annual_cap_fen,
        ratios=_ratios(rows, provider_level),
        yi_self_paid=version.yi_self_paid_bp,
        chronic_prefixes=rows.chronic_prefixes,
        chronic_ratio=version.chronic_ratio_bp,
        chronic_annual_cap=version.chronic_annual_cap_fen,
        account_usable=version.account_usable,
    )


def commercial_rules(
    *, version: PlanVersion, policy: Policy, provider_level: str = "", bonus_cover_fen: int = 0
) -> CommercialRules:
    """The commercial plan's rules for the policy; `bonus_cover_fen` is the year's extra cover
    from health bonuses, added to the annual maximum."""
    rows = rule_rows(version)
    return CommercialRules(
        deductible=version.deductible_fen,
        coinsurance=_ratios(rows, provider_level),
        per_claim_maximum=(
            version.per_claim_maximum_fen
            if version.per_claim_maximum_fen is not None
            else version.annual_cap_fen
        ),
        annual_maximum=version.annual_cap_fen + bonus_cover_fen,
        policy_starts_on=policy.starts_on,
        waiting_days=version.waiting_days,
        excluded_diagnosis_prefixes=rows.excluded_diagnosis_prefixes,
        excluded_drug_codes=rows.excluded_drug_codes,
    )


def policy_list(*, account: Any) -> QuerySet[Policy]:
    """The policies of the people this account acts for, social first."""
    return (
        Policy.objects.filter(patient__account_id=account.pk)
        .select_related("plan__payer", "patient")
        .order_by("patient_id", "priority", "id")
    )


def policy_get(*, account: Any, policy_id: int) -> Policy:
    policy = policy_list(account=account).filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(_("Policy not found."))
    return policy


def policies_in_force(*, patient_id: int, on: dt.date) -> list[Policy]:
    """The patient's active policies covering the date, in settlement order."""
    return list(
        Policy.objects.filter(patient_id=patient_id, status=Policy.Status.ACTIVE, starts_on__lte=on)
        .exclude(ends_on__lt=on)
        .select_related("plan__payer")
        .prefetch_related(Prefetch("years", queryset=PolicyYear.objects.filter(year=on.year)))
        .order_by("priority", "id")
    )


@dataclass(frozen=True)
class Eligibility:
    policy: Policy
    on: dt.date
    is_active: bool
    reason: str
    version: PlanVersion | None = None
    deductible_remaining_fen: int = 0
    cap_remaining_fen: int = 0
    chronic_cap_remaining_fen: int = 0
    account_balance_fen: int = 0


def policy_eligibility(*, policy: Policy, on: dt.date) -> Eligibility:
    """Whether the policy covers the date, and what is left of this year's deductible and cap."""
    if policy.status != Policy.Status.ACTIVE:
        return Eligibility(policy, on, False, policy.get_status_display())
    if on < policy.starts_on or (policy.ends_on is not None and on > policy.ends_on):
        return Eligibility(policy, on, False, _("The policy does not cover this date."))
    version = plan_version_in_force(plan_id=policy.plan_id, on=on)
    if version is None:
        return Eligibility(policy, on, False, _("The plan has no benefits in force on this date."))
    year = PolicyYear.objects.filter(policy=policy, year=on.year).first() or PolicyYear()
    return Eligibility(
        policy,
        on,
        True,
        "",
        version=version,
        deductible_remaining_fen=max(version.deductible_fen - year.deductible_met_fen, 0),
        cap_remaining_fen=max(
            version.annual_cap_fen + year.bonus_cover_fen - year.pool_paid_fen, 0
        ),
        chronic_cap_remaining_fen=max(version.chronic_annual_cap_fen - year.chronic_paid_fen, 0),
        account_balance_fen=policy.account_balance_fen if version.account_usable else 0,
    )


def claim_list_for_patient(*, account: Any) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(patient__account_id=account.pk)
        .select_related("policy__plan")
        .order_by("-created_at", "-id")
    )


def claim_get(*, user: Any, claim_id: int) -> Claim:
    """The claim for the account that filed it, or for the claims officer who has taken it;
    anyone else's is not found."""
    claims = Claim.objects.select_related("policy__plan__payer", "patient").prefetch_related(
        Prefetch("lines", queryset=ClaimLine.objects.order_by("id")), "documents"
    )
    claim = claims.filter(
        Q(pk=claim_id) & (Q(patient__account_id=user.pk) | Q(assigned_to_id=user.pk))
    ).first()
    if claim is None:
        raise NotFound(_("Claim not found."))
    return claim


def claim_review_queue() -> QuerySet[Claim]:
    """Claims waiting for a claims officer, oldest first, with who has taken them."""
    return (
        Claim.objects.filter(status=Claim.Status.IN_REVIEW)
        .select_related("policy__plan", "patient", "assigned_to")
        .order_by("created_at", "id")
    )


def policies_with_incentive(*, patient_id: int, on: dt.date) -> list[Policy]:
    """The patient's policies in force on the date whose plan version grants a health bonus."""
    return [
        policy
        for policy in policies_in_force(patient_id=patient_id, on=on)
        if not policy.plan.is_social
        and (version := plan_version_in_force(plan_id=policy.plan_id, on=on)) is not None
        and version.has_incentive
    ]


def incentive_grant_list(*, account: Any) -> QuerySet[IncentiveGrant]:
    """The health bonuses of the people this account acts for, latest month first."""
    return (
        IncentiveGrant.objects.filter(policy__patient__account_id=account.pk)
        .select_related("policy__plan", "policy__patient")
        .order_by("-month", "policy_id")
    )


def national_drug_codes(*, codes: list[str], on: dt.date) -> dict[str, str]:
    """对码: our item code -> the national drug code of the mapping in force on the date."""
    from insurance.models import DrugCodeMapping

    found: dict[str, str] = {}
    rows = (
        DrugCodeMapping.objects.filter(item_code__in=codes, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("item_code", "-valid_from")
    )
    for row in rows:
        found.setdefault(row.item_code, row.national_code)
    return found


@dataclass(frozen=True)
class EobLine:
    """One line of an explanation of benefits: what was billed, who paid what, and why the
    rest is the patient's. Amounts in fen."""

    description: str
    code: str
    category: str
    service_date: dt.date
    billed_fen: int
    eligible_fen: int  # what the plans' rules consider coverable, before ratios and deductibles
    social_pool_fen: int
    account_fen: int
    commercial_fen: int
    patient_fen: int
    reasons: list[str]


@dataclass(frozen=True)
class ExplanationOfBenefits:
    """What an explanation of benefits says, for a settlement or a claim, in the active
    language. For a claim the insurer's part is what was approved (in `commercial_fen`)."""

    kind: str  # "settlement" or "claim"
    pk: int
    patient_id: int
    title: str
    reference: str
    status: str
    on: dt.date
    created_at: dt.datetime
    plans: list[str]
    payers: list[str]
    lines: list[EobLine]
    # The settlement's status as a code, and the centre's settlement id (setl_id) once it has one.
    status_code: str = ""
    centre_reference: str = ""

    @property
    def awaiting_centre(self) -> bool:
        return self.kind == "settlement" and self.status_code == "pending"

    @property
    def billed_fen(self) -> int:
        return sum(line.billed_fen for line in self.lines)

    @property
    def social_pool_fen(self) -> int:
        return sum(line.social_pool_fen for line in self.lines)

    @property
    def account_fen(self) -> int:
        return sum(line.account_fen for line in self.lines)

    @property
    def commercial_fen(self) -> int:
        return sum(line.commercial_fen for line in self.lines)

    @property
    def insurer_fen(self) -> int:
        return self.social_pool_fen + self.commercial_fen

    @property
    def patient_fen(self) -> int:
        return sum(line.patient_fen for line in self.lines)


def _reason_sentences(reasons: list[Any]) -> list[str]:
    return [reason_sentence(code, amount) for code, amount in reasons]


def settlement_list_for_patient(*, account: Any) -> QuerySet[Settlement]:
    """The settlements of the people this account acts for, newest first."""
    return (
        Settlement.objects.filter(patient__account_id=account.pk)
        .select_related("patient", "social_policy__plan", "commercial_policy__plan")
        .order_by("-created_at", "-id")
    )


def settlement_get(*, account: Any, settlement_id: int) -> Settlement:
    settlement = (
        settlement_list_for_patient(account=account)
        .prefetch_related(Prefetch("lines", queryset=SettlementLine.objects.order_by("id")))
        .filter(pk=settlement_id)
        .first()
    )
    if settlement is None:
        raise NotFound(_("Settlement not found."))
    return settlement


def explanation_of_benefits(
    *, settlement: Settlement | None = None, claim: Claim | None = None
) -> ExplanationOfBenefits:
    """The explanation of benefits of one settlement or one claim (exactly one is given)."""
    if (settlement is None) == (claim is None):
        raise ValueError("explanation_of_benefits needs a settlement or a claim")
    if settlement is not None:
        policies = [
            policy
            for policy in (settlement.social_policy, settlement.commercial_policy)
            if policy is not None
        ]
        lines = [
            EobLine(
                description=line.description or line.get_category_display(),
                code=line.code,
                category=line.category,
                service_date=line.service_date,
                billed_fen=line.billed_fen,
                eligible_fen=line.billed_fen - line.ownpay_full_fen,
                social_pool_fen=line.pool_fen,
                account_fen=line.account_fen,
                commercial_fen=line.commercial_fen,
                patient_fen=line.cash_fen,
                reasons=_reason_sentences(line.reasons),
            )
            for line in settlement.lines.all()
        ]
        return ExplanationOfBenefits(
            kind="settlement",
            pk=settlement.pk,
            patient_id=settlement.patient_id,
            title=_("Settlement"),
            reference=settlement.reference,
            status=settlement.get_status_display(),
            status_code=settlement.status,
            centre_reference=settlement.setl_id,
            on=settlement.service_date,
            created_at=settlement.confirmed_at or settlement.created_at,
            plans=[str(policy.plan) for policy in policies],
            payers=[str(policy.plan.payer) for policy in policies],
            lines=lines,
        )
    assert claim is not None
    claim_lines = []
    for line in claim.lines.all():
        approved = line.approved_fen  # 0 until the claim is decided
        reasons = _reason_sentences(line.reasons)
        if line.decision_note:
            reasons.append(line.decision_note)
        claim_lines.append(
            EobLine(
                description=line.description or line.get_category_display(),
                code=line.code,
                category=line.category,
                service_date=line.service_date,
                billed_fen=line.billed_fen,
                eligible_fen=max(line.proposed_fen, approved),
                social_pool_fen=0,
                account_fen=0,
                commercial_fen=approved,
                patient_fen=line.billed_fen - approved,
                reasons=reasons,
            )
        )
    return ExplanationOfBenefits(
        kind="claim",
        pk=claim.pk,
        patient_id=claim.patient_id,
        title=_("Claim"),
        reference=claim.expense_reference,
        status=claim.get_status_display(),
        status_code=claim.status,
        on=claim.created_at.date(),
        created_at=claim.decided_at or claim.created_at,
        plans=[str(claim.policy.plan)],
        payers=[str(claim.policy.plan.payer)],
        lines=claim_lines,
    )


def benefit_explanations_for_patient(*, patient_id: int) -> list[ExplanationOfBenefits]:
    """The explanations of what is final for the patient, for their health record: confirmed
    settlements and decided claims, newest first. A fixed number of queries however many."""
    lines = Prefetch("lines", queryset=SettlementLine.objects.order_by("id"))
    settlements = (
        Settlement.objects.filter(patient_id=patient_id, status=Settlement.Status.CONFIRMED)
        .select_related("social_policy__plan__payer", "commercial_policy__plan__payer")
        .prefetch_related(lines)
        .order_by("-created_at", "-id")
    )
    claims = (
        Claim.objects.filter(
            patient_id=patient_id,
            status__in=[Claim.Status.APPROVED, Claim.Status.DENIED, Claim.Status.PAID],
        )
        .select_related("policy__plan__payer")
        .prefetch_related(Prefetch("lines", queryset=ClaimLine.objects.order_by("id")))
        .order_by("-created_at", "-id")
    )
    return [explanation_of_benefits(settlement=s) for s in settlements] + [
        explanation_of_benefits(claim=c) for c in claims
    ]


def prescription_circulation(*, reference: str) -> PrescriptionUpload | None:
    """The prescription's 7101 upload to the medical-insurance centre, once it went."""
    return PrescriptionUpload.objects.filter(reference=reference).first()
