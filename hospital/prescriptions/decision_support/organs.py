"""Checks by organ function: kidney (eGFR or Cockcroft–Gault creatinine clearance against the
renal rules), liver (recorded hepatic impairment against the hepatic rules) and the heart's QT
interval (drugs with a known risk of torsades de pointes together, or with low potassium)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from hospital.prescriptions.decision_support.doses import daily_dose
from hospital.prescriptions.decision_support.facts import (
    Finding,
    FindingKind,
    LabValue,
    Medicine,
    PatientFacts,
    ProposedItem,
    format_number,
    medicine_codes,
    medicine_describe,
)
from hospital.prescriptions.decision_support.knowledge import (
    Drug,
    HepaticImpairment,
    HepaticRule,
    Knowledge,
    QtRisk,
    RenalAction,
    RenalRule,
    Severity,
)

# A laboratory value older than this no longer describes the patient's kidneys or potassium.
RECENT_LAB_DAYS = 90

# Below this serum potassium (mmol/L) a drug with a known QT risk is dangerous.
LOW_POTASSIUM_MMOL_L = Decimal("3.5")

_FEMALE = {"f", "female", "woman", "女", "w"}


@dataclass(frozen=True, slots=True)
class KidneyFunction:
    """The estimate the renal rules are compared with, in mL/min (per 1.73 m² for eGFR)."""

    value: Decimal
    measured_on: dt.date
    method: str  # "egfr" or "cockcroft_gault"
    creatinine_umol_l: Decimal | None = None

    def describe(self) -> tuple[str, str]:
        number = format_number(self.value)
        day = self.measured_on.isoformat()
        if self.method == "egfr":
            return (
                f"eGFR {number} mL/min/1.73 m² ({day})",
                f"eGFR {number} mL/min/1.73 m²（{day}）",
            )
        creatinine = format_number(self.creatinine_umol_l or Decimal(0))
        return (
            f"creatinine clearance {number} mL/min (Cockcroft–Gault, creatinine "
            f"{creatinine} µmol/L on {day})",
            f"肌酐清除率 {number} mL/min（Cockcroft–Gault公式，{day}血肌酐{creatinine} µmol/L）",
        )


def cockcroft_gault(
    *, age_years: float, weight_kg: Decimal, female: bool, creatinine_umol_l: Decimal
) -> Decimal:
    """Creatinine clearance (mL/min) = (140 − age) × weight × (0.85 if female) / (0.815 × SCr),
    SCr in µmol/L (the mg/dL formula's 72 × SCr with 1 mg/dL = 88.4 µmol/L)."""
    clearance = (
        (Decimal(140) - Decimal(str(age_years)))
        * weight_kg
        * (Decimal("0.85") if female else Decimal(1))
        / (Decimal("0.815") * creatinine_umol_l)
    )
    return max(clearance, Decimal(0)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _today(patient: PatientFacts) -> dt.date:
    return patient.as_of or timezone.localdate()


def is_recent(lab: LabValue | None, today: dt.date) -> bool:
    return lab is not None and 0 <= (today - lab.measured_on).days <= RECENT_LAB_DAYS


def kidney_function(patient: PatientFacts) -> KidneyFunction | None:
    """A recent eGFR when there is one (the laboratory's figure); else creatinine clearance by
    Cockcroft–Gault from a recent creatinine and the recorded weight; else None."""
    today = _today(patient)
    if patient.egfr is not None and is_recent(patient.egfr, today):
        return KidneyFunction(patient.egfr.value, patient.egfr.measured_on, "egfr")
    creatinine = patient.creatinine_umol_l
    if (
        creatinine is not None
        and is_recent(creatinine, today)
        and creatinine.value > 0
        and patient.weight_kg
        and patient.age_years >= 18
    ):
        value = cockcroft_gault(
            age_years=patient.age_years,
            weight_kg=Decimal(patient.weight_kg),
            female=patient.sex.strip().lower() in _FEMALE,
            creatinine_umol_l=creatinine.value,
        )
        return KidneyFunction(value, creatinine.measured_on, "cockcroft_gault", creatinine.value)
    return None


def _why_no_kidney_value(patient: PatientFacts) -> tuple[str, str]:
    today = _today(patient)
    creatinine = patient.creatinine_umol_l
    if creatinine is not None and is_recent(creatinine, today) and not patient.weight_kg:
        return (
            "a recent creatinine is on record but no weight, so clearance cannot be calculated",
            "有近期血肌酐但无体重记录，无法计算肌酐清除率",
        )
    latest = max(
        (lab for lab in (patient.egfr, creatinine) if lab is not None),
        key=lambda lab: lab.measured_on,
        default=None,
    )
    if latest is not None:
        day = latest.measured_on.isoformat()
        return (
            f"the latest kidney-function result ({day}) is older than {RECENT_LAB_DAYS} days",
            f"最近一次肾功能结果（{day}）已超过{RECENT_LAB_DAYS}天",
        )
    return "no creatinine or eGFR is on record", "无血肌酐或eGFR记录"


def _renal_finding(
    drug: Drug, rule: RenalRule, message: str, message_zh: str, *, severity: Severity
) -> Finding:
    return Finding(
        kind=FindingKind.RENAL_FUNCTION,
        severity=severity,
        drug_codes=(drug.code,),
        message=message,
        message_zh=message_zh,
        management=rule.advice,
        management_zh=rule.advice_zh,
        source=rule.source,
        rule_id=rule.id,
    )


def renal_findings(
    known: Sequence[tuple[ProposedItem, Drug]], patient: PatientFacts, kb: Knowledge
) -> list[Finding]:
    """Each proposed drug against the renal rules covering it."""
    if not kb.renal_rules:
        return []
    kidney = kidney_function(patient)
    items_by_code: dict[str, list[ProposedItem]] = {}
    drugs: dict[str, Drug] = {}
    for item, drug in known:
        items_by_code.setdefault(drug.code, []).append(item)
        drugs[drug.code] = drug
    findings: list[Finding] = []
    for code, drug in drugs.items():
        rules = [r for r in kb.renal_rules if r.matches.matches(drug.ingredients, drug.atc_code)]
        if kidney is None:
            why_en, why_zh = _why_no_kidney_value(patient)
            findings.extend(
                _renal_finding(
                    drug,
                    rule,
                    f"{drug.generic_name_en}: needs a recent kidney function, but {why_en}.",
                    f"{drug.generic_name_zh}：需近期肾功能结果，但{why_zh}。",
                    severity=rule.severity,
                )
                for rule in rules
                if rule.action is RenalAction.NEEDS_RECENT_VALUE
            )
            continue
        seen_en, seen_zh = kidney.describe()
        for rule in rules:
            if rule.action is RenalAction.NEEDS_RECENT_VALUE or not rule.covers(kidney.value):
                continue
            if rule.action is RenalAction.MAX_DAILY_DOSE:
                assert rule.max_daily_dose is not None
                daily = daily_dose(drug, items_by_code[code], kb)
                if daily is not None and daily <= rule.max_daily_dose:
                    continue
                limit = f"{format_number(rule.max_daily_dose)} {drug.dose_unit}"
                dose_en = (
                    f"{format_number(daily)} {drug.dose_unit} a day prescribed, "
                    if daily is not None
                    else ""
                )
                dose_zh = (
                    f"处方日剂量{format_number(daily)} {drug.dose_unit}，"
                    if daily is not None
                    else ""
                )
                findings.append(
                    _renal_finding(
                        drug,
                        rule,
                        f"{drug.generic_name_en}: {dose_en}at most {limit} a day at {seen_en}.",
                        f"{drug.generic_name_zh}：{dose_zh}{seen_zh}时每日不超过{limit}。",
                        severity=rule.severity,
                    )
                )
                continue
            findings.append(
                _renal_finding(
                    drug,
                    rule,
                    f"{drug.generic_name_en}: {_RENAL_ACTION_WORDS[rule.action][0]} at {seen_en}.",
                    f"{drug.generic_name_zh}：{seen_zh}时{_RENAL_ACTION_WORDS[rule.action][1]}。",
                    severity=rule.severity,
                )
            )
    return findings


_RENAL_ACTION_WORDS: dict[RenalAction, tuple[str, str]] = {
    RenalAction.CONTRAINDICATED: ("contraindicated", "禁用"),
    RenalAction.AVOID: ("to be avoided", "应避免使用"),
    RenalAction.REDUCE_DOSE: ("the dose must be reduced", "需减量"),
    RenalAction.INTERVAL: ("the dose or interval must be adjusted", "需调整剂量或给药间隔"),
}

_HEPATIC_WORDS: dict[HepaticImpairment, tuple[str, str]] = {
    HepaticImpairment.MILD: (
        "mild hepatic impairment (Child–Pugh A)",
        "轻度肝功能不全（Child–Pugh A级）",
    ),
    HepaticImpairment.MODERATE: (
        "moderate hepatic impairment (Child–Pugh B)",
        "中度肝功能不全（Child–Pugh B级）",
    ),
    HepaticImpairment.SEVERE: (
        "severe hepatic impairment (Child–Pugh C)",
        "重度肝功能不全（Child–Pugh C级）",
    ),
}


def hepatic_findings(drugs: Sequence[Drug], patient: PatientFacts, kb: Knowledge) -> list[Finding]:
    """For one drug the rule of the highest impairment class the patient reaches applies."""
    try:
        impairment = HepaticImpairment(patient.hepatic_impairment)
    except ValueError:
        return []
    if impairment is HepaticImpairment.NONE:
        return []
    words_en, words_zh = _HEPATIC_WORDS[impairment]
    findings = []
    for drug in drugs:
        applicable: list[HepaticRule] = [
            rule
            for rule in kb.hepatic_rules
            if rule.from_impairment.rank <= impairment.rank
            and rule.matches.matches(drug.ingredients, drug.atc_code)
        ]
        if not applicable:
            continue
        rule = max(applicable, key=lambda r: (r.from_impairment.rank, r.severity.rank))
        findings.append(
            Finding(
                kind=FindingKind.HEPATIC_FUNCTION,
                severity=rule.severity,
                drug_codes=(drug.code,),
                message=f"{drug.generic_name_en}: the patient has {words_en}. {rule.advice}",
                message_zh=f"{drug.generic_name_zh}：患者{words_zh}。{rule.advice_zh}",
                management=rule.advice,
                management_zh=rule.advice_zh,
                source=rule.source,
                rule_id=rule.id,
            )
        )
    return findings


def qt_risk(medicine: Medicine, kb: Knowledge) -> QtRisk | None:
    """The worst QT-risk class of the entries covering the medicine."""
    order = (QtRisk.KNOWN, QtRisk.POSSIBLE, QtRisk.CONDITIONAL)
    risks = {
        e.risk for e in kb.qt_risks if e.matches.matches(medicine.ingredients, medicine.atc_code)
    }
    return next((risk for risk in order if risk in risks), None)


def _qt_source(medicines: Sequence[Medicine], kb: Knowledge) -> str:
    sources = [
        e.source
        for m in medicines
        for e in kb.qt_risks
        if e.matches.matches(m.ingredients, m.atc_code)
    ]
    return "; ".join(dict.fromkeys(sources))


def qt_findings(
    proposed: Sequence[Medicine],
    active: Sequence[Medicine],
    patient: PatientFacts,
    kb: Knowledge,
) -> list[Finding]:
    """Two or more drugs with a known QT risk (at least one of them proposed), or one with
    known risk and a recent low potassium: major. A known-risk drug with a possible-risk one:
    moderate."""
    if not kb.qt_risks:
        return []
    proposed_ids = {m.identity for m in proposed}
    others = [m for m in active if m.identity not in proposed_ids]
    risk = {m.identity: qt_risk(m, kb) for m in [*proposed, *others]}
    known_proposed = [m for m in proposed if risk[m.identity] is QtRisk.KNOWN]
    if not known_proposed:
        return []
    known_all = known_proposed + [m for m in others if risk[m.identity] is QtRisk.KNOWN]
    findings = []
    if len(known_all) >= 2:
        names_en = ", ".join(medicine_describe(m)[0] for m in known_all)
        names_zh = "、".join(medicine_describe(m)[1] for m in known_all)
        findings.append(
            Finding(
                kind=FindingKind.QT_PROLONGATION,
                severity=Severity.MAJOR,
                drug_codes=medicine_codes(*known_all),
                message=(
                    f"{names_en}: {len(known_all)} drugs with a known risk of QT prolongation "
                    "and torsades de pointes together."
                ),
                message_zh=f"{names_zh}：{len(known_all)}种已知可致QT间期延长及尖端扭转型室速的药物合用。",
                management=QT_TWO_KNOWN_ADVICE,
                source=_qt_source(known_all, kb),
                rule_id="qt.two_known_risk",
            )
        )
    potassium = patient.potassium_mmol_l
    if (
        potassium is not None
        and is_recent(potassium, _today(patient))
        and potassium.value < LOW_POTASSIUM_MMOL_L
    ):
        names_en = ", ".join(m.name_en for m in known_proposed)
        names_zh = "、".join(m.name_zh for m in known_proposed)
        level = format_number(potassium.value)
        day = potassium.measured_on.isoformat()
        findings.append(
            Finding(
                kind=FindingKind.QT_PROLONGATION,
                severity=Severity.MAJOR,
                drug_codes=medicine_codes(*known_proposed),
                message=(
                    f"{names_en}: known risk of QT prolongation, and potassium is low "
                    f"({level} mmol/L on {day}, below {LOW_POTASSIUM_MMOL_L})."
                ),
                message_zh=(
                    f"{names_zh}：已知可致QT间期延长，且血钾偏低"
                    f"（{day} {level} mmol/L，低于{LOW_POTASSIUM_MMOL_L}）。"
                ),
                management=QT_LOW_POTASSIUM_ADVICE,
                source=_qt_source(known_proposed, kb),
                rule_id="qt.known_risk_low_potassium",
            )
        )
    possible = [m for m in [*proposed, *others] if risk[m.identity] is QtRisk.POSSIBLE]
    if possible and len(known_all) == 1:
        pair = [known_all[0], *possible]
        names_en = ", ".join(medicine_describe(m)[0] for m in pair)
        names_zh = "、".join(medicine_describe(m)[1] for m in pair)
        findings.append(
            Finding(
                kind=FindingKind.QT_PROLONGATION,
                severity=Severity.MODERATE,
                drug_codes=medicine_codes(*pair),
                message=(
                    f"{names_en}: a drug with known and one with possible risk of QT "
                    "prolongation together."
                ),
                message_zh=f"{names_zh}：已知与可能致QT间期延长的药物合用。",
                management=QT_POSSIBLE_ADVICE,
                source=_qt_source(pair, kb),
                rule_id="qt.known_with_possible_risk",
            )
        )
    return findings


QT_TWO_KNOWN_ADVICE = (
    "Avoid the combination; if both are needed, take an ECG (QTc) first and again after "
    "starting, and keep potassium and magnesium normal."
)

QT_LOW_POTASSIUM_ADVICE = (
    "Correct potassium (and magnesium) before starting, or choose a drug without QT risk; "
    "take an ECG (QTc)."
)

QT_POSSIBLE_ADVICE = "Check the QTc on an ECG and potassium when starting the combination."
