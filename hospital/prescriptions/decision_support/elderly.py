"""Potentially inappropriate medicines for older patients: each proposed drug against the list of
medicines to avoid or use with care from ELDERLY_AGE_YEARS (AGS Beers Criteria 2023, with the
Chinese criteria where they differ), in `elderly_pim.csv`."""

from __future__ import annotations

from collections.abc import Sequence

from hospital.prescriptions.decision_support.facts import (
    ELDERLY_AGE_YEARS,
    Finding,
    FindingKind,
    PatientFacts,
)
from hospital.prescriptions.decision_support.knowledge import Drug, ElderlyRule, Knowledge


def elderly_rules_for(drug: Drug, patient: PatientFacts, kb: Knowledge) -> list[ElderlyRule]:
    """The list's rules that apply to this drug for this patient (none under the age)."""
    if patient.age_years < ELDERLY_AGE_YEARS:
        return []
    return [
        rule
        for rule in kb.elderly_rules
        if rule.matches.matches(drug.ingredients, drug.atc_code)
        and rule.applies_to(patient.conditions)
    ]


def elderly_findings(drugs: Sequence[Drug], patient: PatientFacts, kb: Knowledge) -> list[Finding]:
    """One finding per drug: the most severe rule that applies (a drug–disease rule such as
    "NSAIDs in heart failure" over the general one)."""
    findings = []
    for drug in drugs:
        rules = elderly_rules_for(drug, patient, kb)
        if not rules:
            continue
        rule = max(rules, key=lambda r: (r.severity.rank, len(r.only_with_conditions)))
        age = int(patient.age_years)
        findings.append(
            Finding(
                kind=FindingKind.ELDERLY,
                severity=rule.severity,
                drug_codes=(drug.code,),
                message=(
                    f"{drug.generic_name_en}: potentially inappropriate at {age} years "
                    f"(65 and over). {rule.reason}"
                ),
                message_zh=(
                    f"{drug.generic_name_zh}：{age}岁患者（65岁及以上）潜在不适当用药。"
                    f"{rule.reason_zh}"
                ),
                management=rule.advice,
                management_zh=rule.advice_zh,
                source=rule.source,
                rule_id=rule.id,
            )
        )
    return findings
