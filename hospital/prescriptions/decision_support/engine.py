"""Prescription decision support: what a prescriber and the reviewing pharmacist must see.

`check_prescription` takes the patient's facts, the proposed items and the medicines the patient
already takes, and returns findings (interactions, allergies, duplicate therapy, dose over the
maximum, pregnancy/lactation, age, kidney and liver function, QT prolongation, forbidden control
class, unknown drug), worst first. It is pure:
no database, no side effects; the knowledge comes from `knowledge` and `knowledge_files` (the CSV
files) unless the caller passes its own `Knowledge`.

It errs towards telling: whatever it cannot check (an unknown drug, a unit it cannot convert, an
unknown frequency, a child's dose without a weight) is itself a finding, never a silent pass."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from hospital.prescriptions.decision_support.age import age_in_words
from hospital.prescriptions.decision_support.allergies import allergy_findings
from hospital.prescriptions.decision_support.doses import component_findings, dose_findings
from hospital.prescriptions.decision_support.elderly import elderly_findings, elderly_rules_for
from hospital.prescriptions.decision_support.facts import (
    ADULT_AGE_YEARS,
    CHILDBEARING_AGE_YEARS,
    ELDERLY_AGE_YEARS,
    ActiveMedication,
    Finding,
    FindingKind,
    PatientFacts,
    ProposedItem,
    active_medicine,
    drug_finding,
    proposed_medicine,
)
from hospital.prescriptions.decision_support.interactions import (
    duplicate_findings,
    interaction_findings,
)
from hospital.prescriptions.decision_support.knowledge import (
    Caution,
    ControlClass,
    Drug,
    Knowledge,
    Severity,
)
from hospital.prescriptions.decision_support.knowledge_files import get_knowledge
from hospital.prescriptions.decision_support.organs import (
    hepatic_findings,
    qt_findings,
    renal_findings,
)


def check_prescription(
    *,
    patient: PatientFacts,
    items: Sequence[ProposedItem],
    active_medications: Sequence[ActiveMedication],
    knowledge: Knowledge | None = None,
) -> list[Finding]:
    """Every finding for this prescription, worst first.

    Raises `KnowledgeUnavailable` when no `knowledge` is passed and the
    knowledge files cannot be loaded: a prescription must not be signed unchecked.
    """
    kb = knowledge if knowledge is not None else get_knowledge()
    findings: list[Finding] = []
    known: list[tuple[ProposedItem, Drug]] = []
    for item in items:
        drug = kb.drug(item.drug_code)
        if drug is None:
            findings.append(_unknown_drug(item.drug_code))
        else:
            known.append((item, drug))

    drugs = list({drug.code: drug for _, drug in known}.values())
    proposed = [proposed_medicine(d) for d in drugs]
    active = [m for m in (active_medicine(a, kb) for a in active_medications) if m is not None]
    pregnant, lactating = _pregnancy_status(patient)

    for drug in drugs:
        findings.extend(_control_class(drug))
        findings.extend(_pregnancy_and_lactation(drug, patient, pregnant, lactating))
        findings.extend(_age(drug, patient, kb))
    findings.extend(_pregnancy_status_reminder(drugs, patient, pregnant))
    findings.extend(dose_findings(known, patient, kb))
    findings.extend(component_findings(known, kb))
    findings.extend(elderly_findings(drugs, patient, kb))
    findings.extend(allergy_findings(patient.allergies, drugs, kb))
    findings.extend(interaction_findings(proposed, active, kb.interactions))
    findings.extend(duplicate_findings(known, active, kb))
    findings.extend(renal_findings(known, patient, kb))
    findings.extend(hepatic_findings(drugs, patient, kb))
    findings.extend(qt_findings(proposed, active, patient, kb))
    return _sorted_unique(_without_repeated_qt_pairs(findings))


def _without_repeated_qt_pairs(findings: list[Finding]) -> list[Finding]:
    """Two known-QT-risk drugs whose pair also has an interaction rule (one with a further
    mechanism, e.g. CYP3A4 inhibition raising the level) are reported once: by that rule when
    it is at least as severe, since it says more; otherwise by the QT finding alone."""
    interactions = {
        frozenset(f.drug_codes): f for f in findings if f.kind is FindingKind.INTERACTION
    }
    kept = []
    for finding in findings:
        if finding.rule_id == "qt.two_known_risk":
            same_pair = interactions.get(frozenset(finding.drug_codes))
            if same_pair is not None and same_pair.severity.rank >= finding.severity.rank:
                continue
        kept.append(finding)
    return kept


def _sorted_unique(findings: Iterable[Finding]) -> list[Finding]:
    unique: dict[tuple[str, str, tuple[str, ...]], Finding] = {}
    for finding in findings:
        unique.setdefault((finding.kind, finding.rule_id, finding.drug_codes), finding)
    kind_order = {kind: index for index, kind in enumerate(FindingKind)}
    return sorted(
        unique.values(),
        key=lambda f: (-f.severity.rank, kind_order[f.kind], f.drug_codes, f.rule_id),
    )


def _unknown_drug(code: str) -> Finding:
    return Finding(
        kind=FindingKind.UNKNOWN_DRUG,
        severity=Severity.CONTRAINDICATED,
        drug_codes=(code,),
        message=f"Drug code {code!r} is not in the formulary; it cannot be checked or prescribed.",
        message_zh=f"药品编码“{code}”不在处方集中，无法审核，不能开具。",
        management="Choose the drug from the formulary.",
        source="formulary",
        rule_id="formulary.unknown_drug",
    )


_CONTROL_CLASS_NAMES: dict[ControlClass, tuple[str, str]] = {
    ControlClass.NARCOTIC: ("a narcotic drug", "麻醉药品"),
    ControlClass.PSYCHOTROPIC_1: ("a class I psychotropic drug", "第一类精神药品"),
    ControlClass.PSYCHOTROPIC_2: ("a class II psychotropic drug", "第二类精神药品"),
    ControlClass.MEDICAL_TOXIC: ("a medical toxic drug", "医疗用毒性药品"),
    ControlClass.RADIOACTIVE: ("a radioactive drug", "放射性药品"),
    ControlClass.PRECURSOR: ("a precursor chemical drug", "药品类易制毒化学品"),
    ControlClass.VACCINE: ("a vaccine", "疫苗"),
    ControlClass.BLOOD_PRODUCT: ("a blood product", "血液制品"),
}


def _control_class(drug: Drug) -> list[Finding]:
    if drug.control_class is ControlClass.NORMAL:
        return []
    name_en, name_zh = _CONTROL_CLASS_NAMES[drug.control_class]
    return [
        drug_finding(
            drug,
            kind=FindingKind.FORBIDDEN_CONTROL_CLASS,
            severity=Severity.CONTRAINDICATED,
            message=f"{drug.generic_name_en}: {name_en}, never prescribed online.",
            message_zh=f"{drug.generic_name_zh}：属于{name_zh}，不得在互联网医院开具。",
            management="Refer the patient to an in-person visit.",
            rule_id=f"control_class.{drug.control_class.value}",
        )
    ]


_PREGNANCY_CODES = re.compile(r"^(O\d|Z3[34]|Z3A)")

_LACTATION_CODES = re.compile(r"^(Z39\.?1|O9[12])")


def _pregnancy_status(patient: PatientFacts) -> tuple[bool | None, bool | None]:
    """Recorded status; when not recorded, a pregnancy/lactation diagnosis on record decides."""
    conditions = [c.strip().upper() for c in patient.conditions]
    pregnant = patient.pregnant
    if pregnant is None and any(_PREGNANCY_CODES.match(c) for c in conditions):
        pregnant = True
    lactating = patient.lactating
    if lactating is None and any(_LACTATION_CODES.match(c) for c in conditions):
        lactating = True
    return pregnant, lactating


def _is_female(sex: str) -> bool:
    return sex.strip().lower() in {"f", "female", "woman", "女", "w"}


_CAUTION_SEVERITY = {
    Caution.CONTRAINDICATED: Severity.CONTRAINDICATED,
    Caution.AVOID: Severity.MAJOR,
    Caution.CAUTION: Severity.MODERATE,
}

_CAUTION_WORDS = {
    Caution.CONTRAINDICATED: ("contraindicated", "禁用"),
    Caution.AVOID: ("avoid unless there is no alternative", "应避免使用"),
    Caution.CAUTION: ("use with caution", "慎用"),
}


def _pregnancy_and_lactation(
    drug: Drug, patient: PatientFacts, pregnant: bool | None, lactating: bool | None
) -> list[Finding]:
    findings = []
    if pregnant and drug.pregnancy_caution is not Caution.NONE:
        words_en, words_zh = _CAUTION_WORDS[drug.pregnancy_caution]
        findings.append(
            drug_finding(
                drug,
                kind=FindingKind.PREGNANCY,
                severity=_CAUTION_SEVERITY[drug.pregnancy_caution],
                message=f"{drug.generic_name_en}: {words_en} in pregnancy.",
                message_zh=f"{drug.generic_name_zh}：孕妇{words_zh}。",
                management="Choose an alternative safe in pregnancy, or document the reason.",
                rule_id=f"pregnancy.{drug.pregnancy_caution.value}",
            )
        )
    if lactating and drug.lactation_caution is not Caution.NONE:
        words_en, words_zh = _CAUTION_WORDS[drug.lactation_caution]
        findings.append(
            drug_finding(
                drug,
                kind=FindingKind.LACTATION,
                severity=_CAUTION_SEVERITY[drug.lactation_caution],
                message=f"{drug.generic_name_en}: {words_en} while breastfeeding.",
                message_zh=f"{drug.generic_name_zh}：哺乳期{words_zh}。",
                management="Choose an alternative compatible with breastfeeding, or pause it.",
                rule_id=f"lactation.{drug.lactation_caution.value}",
            )
        )
    return findings


def _pregnancy_status_reminder(
    drugs: Sequence[Drug], patient: PatientFacts, pregnant: bool | None
) -> list[Finding]:
    """One quiet reminder, for the whole prescription, to ask a woman who might be pregnant."""
    low, high = CHILDBEARING_AGE_YEARS
    if pregnant is not None or not _is_female(patient.sex):
        return []
    if not low <= patient.age_years <= high:
        return []
    risky = [d for d in drugs if d.pregnancy_caution in (Caution.CONTRAINDICATED, Caution.AVOID)]
    if not risky:
        return []
    names_en = ", ".join(d.generic_name_en for d in risky)
    names_zh = "、".join(d.generic_name_zh for d in risky)
    return [
        Finding(
            kind=FindingKind.PREGNANCY,
            severity=Severity.INFO,
            drug_codes=tuple(sorted(d.code for d in risky)),
            message=(
                f"Pregnancy status is not recorded; {names_en} must be avoided in pregnancy: "
                "ask before prescribing."
            ),
            message_zh=f"患者未记录妊娠状态；{names_zh}妊娠期禁用或应避免，开具前请确认。",
            management="Confirm whether the patient is pregnant and record it.",
            source="formulary",
            rule_id="pregnancy.status_unknown",
        )
    ]


def _age(drug: Drug, patient: PatientFacts, kb: Knowledge) -> list[Finding]:
    findings = []
    age = patient.age_years
    minimum = drug.paediatric_min_age_years
    if minimum is not None and age < float(minimum):
        age_en, age_zh = age_in_words(age)
        minimum_en, minimum_zh = age_in_words(float(minimum))
        findings.append(
            drug_finding(
                drug,
                kind=FindingKind.PAEDIATRIC_AGE,
                severity=Severity.MAJOR,
                message=(
                    f"{drug.generic_name_en}: not for patients under {minimum_en} "
                    f"(patient is {age_en})."
                    + (f" {drug.paediatric_caution}" if drug.paediatric_caution else "")
                ),
                message_zh=(
                    f"{drug.generic_name_zh}：不适用于{minimum_zh}以下患者"
                    f"（患者{age_zh}）。" + drug.paediatric_caution_zh
                ),
                management="Choose an alternative licensed for this age.",
                rule_id="age.paediatric_minimum",
            )
        )
    elif age < ADULT_AGE_YEARS and drug.paediatric_caution:
        findings.append(
            drug_finding(
                drug,
                kind=FindingKind.PAEDIATRIC_AGE,
                severity=Severity.INFO,
                message=f"{drug.generic_name_en}: in children: {drug.paediatric_caution}",
                message_zh=f"{drug.generic_name_zh}：儿童用药注意：{drug.paediatric_caution_zh}",
                management="Check the paediatric dosing and cautions.",
                rule_id="age.paediatric_caution",
            )
        )
    # The formulary's free-text note is a dosing reminder (start low, monitor), not a reference's
    # "avoid": minor, and left out where the list of inappropriate medicines already speaks.
    if (
        age >= ELDERLY_AGE_YEARS
        and drug.elderly_caution
        and not elderly_rules_for(drug, patient, kb)
    ):
        findings.append(
            drug_finding(
                drug,
                kind=FindingKind.ELDERLY,
                severity=Severity.MINOR,
                message=f"{drug.generic_name_en}: in older adults: {drug.elderly_caution}",
                message_zh=f"{drug.generic_name_zh}：老年人用药注意：{drug.elderly_caution_zh}",
                management="Consider a safer alternative or a lower dose, and monitor.",
                rule_id="age.elderly",
            )
        )
    return findings
