"""What the engine reasons about: the patient's facts, the proposed items, the medicines already
taken, and the findings it returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from hospital.prescriptions.decision_support.knowledge import (
    Drug,
    Knowledge,
    Severity,
    normalize_term,
)

ADULT_AGE_YEARS = 18

ELDERLY_AGE_YEARS = 65

# Women in this age range with no recorded pregnancy status get a reminder for drugs that
# must be avoided in pregnancy.
CHILDBEARING_AGE_YEARS = (12, 55)


class FindingKind(StrEnum):
    INTERACTION = "interaction"
    ALLERGY = "allergy"
    DUPLICATE_THERAPY = "duplicate_therapy"
    DOSE_OVER_MAXIMUM = "dose_over_maximum"
    PREGNANCY = "pregnancy"
    LACTATION = "lactation"
    PAEDIATRIC_AGE = "paediatric_age"
    ELDERLY = "elderly"
    RENAL_FUNCTION = "renal_function"
    HEPATIC_FUNCTION = "hepatic_function"
    QT_PROLONGATION = "qt_prolongation"
    FORBIDDEN_CONTROL_CLASS = "forbidden_control_class"
    UNKNOWN_DRUG = "unknown_drug"


@dataclass(frozen=True, slots=True)
class RecordedAllergy:
    substance: str  # as recorded, zh or en: "青霉素", "Penicillin", "sulfa"
    severity: str = ""  # as recorded (mild, severe, anaphylaxis …); shown, not interpreted


@dataclass(frozen=True, slots=True)
class LabValue:
    """A laboratory result on record with the day it was measured."""

    value: Decimal
    measured_on: dt.date


@dataclass(frozen=True, slots=True)
class PatientFacts:
    age_years: float
    weight_kg: Decimal | None
    sex: str  # "female"/"male" (also F/M, 女/男)
    pregnant: bool | None  # None: not recorded
    lactating: bool | None
    allergies: Sequence[RecordedAllergy] = ()
    conditions: Sequence[str] = ()  # ICD-10 codes
    creatinine_umol_l: LabValue | None = None  # latest serum creatinine, µmol/L
    egfr: LabValue | None = None  # latest eGFR, mL/min/1.73 m²
    potassium_mmol_l: LabValue | None = None  # latest serum potassium, mmol/L
    hepatic_impairment: str = ""  # none/mild/moderate/severe (Child–Pugh A/B/C); "" unknown
    # The day the check is made, against which a laboratory value is recent or not; None: today.
    as_of: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ProposedItem:
    drug_code: str
    dose: Decimal  # per administration, in dose_unit
    dose_unit: str
    frequency: str  # QD, BID, TID, QID, Q4H … Q12H, QN, QOD, QW, PRN, STAT
    duration_days: int
    quantity_packs: int
    route: str


@dataclass(frozen=True, slots=True)
class ActiveMedication:
    """A medicine the patient already takes: another active prescription or self-reported.

    A formulary `drug_code` is enough (ingredients and ATC code are filled in from it); a
    self-reported medicine outside the formulary is matched by its ingredients and ATC code.
    """

    drug_code: str | None
    ingredients: tuple[str, ...]
    atc_code: str
    source: str  # e.g. "prescription", "self_reported"
    name: str = ""  # how the patient or record calls it, for the message


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind
    severity: Severity
    drug_codes: tuple[str, ...]  # the proposed drugs concerned, then an active one's code
    message: str
    message_zh: str
    management: str
    source: str
    rule_id: str
    management_zh: str = ""

    def __post_init__(self) -> None:
        # The engine's own advice is written once in English in each check; its Chinese comes
        # from one table here rather than from every call site.
        if not self.management_zh and self.management in MANAGEMENT_ZH:
            object.__setattr__(self, "management_zh", MANAGEMENT_ZH[self.management])


# The engine's fixed advice (English as written in the checks) → Chinese.
MANAGEMENT_ZH: dict[str, str] = {
    "Avoid the combination; if both are needed, take an ECG (QTc) first and again after "
    "starting, and keep potassium and magnesium normal.": (
        "避免合用；如确需合用，用药前及开始后复查心电图（QTc），并维持血钾、血镁正常。"
    ),
    "Correct potassium (and magnesium) before starting, or choose a drug without QT risk; "
    "take an ECG (QTc).": "用药前先纠正血钾（及血镁），或改用无QT风险的药物；并做心电图（QTc）。",
    "Check the QTc on an ECG and potassium when starting the combination.": (
        "开始合用时检查心电图QTc及血钾。"
    ),
    "Choose the drug from the formulary.": "请从处方集中选择药品。",
    "Refer the patient to an in-person visit.": "请建议患者线下就诊。",
    "Choose an alternative safe in pregnancy, or document the reason.": (
        "请改用妊娠期安全的药物，或记录使用理由。"
    ),
    "Choose an alternative compatible with breastfeeding, or pause it.": (
        "请改用哺乳期可用的药物，或暂停哺乳。"
    ),
    "Confirm whether the patient is pregnant and record it.": "请确认患者是否妊娠并记录。",
    "Choose an alternative licensed for this age.": "请改用适用于该年龄的药物。",
    "Check the paediatric dosing and cautions.": "请核对儿童剂量及注意事项。",
    "Consider a safer alternative or a lower dose, and monitor.": (
        "请考虑更安全的替代药物或减量，并加强监测。"
    ),
    "Do not prescribe; choose a drug from another class.": "请勿开具，改用其他类别的药物。",
    "Prefer another class; if used, monitor for a reaction.": (
        "宜改用其他类别；如确需使用，请观察过敏反应。"
    ),
    "Prescribe QW (once a week) and name the day.": "请按每周一次（QW）开具，并注明服药日。",
    "Enter the dose per administration.": "请填写单次剂量。",
    "Use a standard frequency code (QD, BID, TID, QID, Q8H, QN, PRN …).": (
        "请使用标准频次代码（QD、BID、TID、QID、Q8H、QN、PRN 等）。"
    ),
    "Record the child's weight and check the dose per kg.": "请记录患儿体重并按千克体重核对剂量。",
    "Reduce the dose or the frequency.": "请减少剂量或用药次数。",
    "Give it no more often than the label allows.": "请按说明书规定的每日最多次数开具。",
    "Reduce the dose so that each component stays within its maximum.": (
        "请减少剂量，使每一成分均不超过其每日最大剂量。"
    ),
    "Keep one line with the total intended dose.": "请合并为一行，填写预期总剂量。",
    "Confirm this is a renewal and the previous supply is ending or stopped.": (
        "请确认为续方，且此前的药品即将用完或已停用。"
    ),
    "Use only one product containing this ingredient.": "含该成分的药品只能使用一种。",
    "Keep one drug of this class.": "该类药物只保留一种。",
    "Use one drug of this group unless the combination is intended.": (
        "除非有意联合使用，同类药物只用一种。"
    ),
}


def highest_severity(findings: Iterable[Finding]) -> Severity | None:
    """The worst severity among `findings`, None when there are none."""
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)


def format_number(number: Decimal) -> str:
    rounded = number.quantize(Decimal("0.01")) if number != number.to_integral_value() else number
    text = f"{rounded.normalize():f}"
    return text


@dataclass(frozen=True, slots=True)
class Medicine:
    """One side of a pairwise check: a proposed drug or something the patient already takes."""

    identity: str  # equal identities are the same medicine
    drug_code: str | None
    name_en: str
    name_zh: str
    ingredients: frozenset[str]
    atc_code: str
    proposed: bool
    source: str = ""

    @property
    def atc_level4(self) -> str:
        return self.atc_code[:5].upper() if len(self.atc_code) >= 5 else ""


def proposed_medicine(drug: Drug) -> Medicine:
    return Medicine(
        identity=f"drug:{drug.code}",
        drug_code=drug.code,
        name_en=drug.generic_name_en,
        name_zh=drug.generic_name_zh,
        ingredients=frozenset(drug.ingredients),
        atc_code=drug.atc_code,
        proposed=True,
    )


def active_medicine(medication: ActiveMedication, knowledge: Knowledge) -> Medicine | None:
    drug = knowledge.drug(medication.drug_code) if medication.drug_code else None
    ingredients = frozenset(normalize_term(i) for i in medication.ingredients if i.strip())
    if drug is not None:
        # The formulary is authoritative for a coded drug; the record may add what it lacks.
        ingredients = ingredients | frozenset(drug.ingredients)
    atc_code = medication.atc_code.strip().upper() or (drug.atc_code if drug else "")
    if not ingredients and not atc_code:
        return None  # nothing to match on
    name = medication.name.strip() or (
        drug.generic_name_en if drug else " + ".join(sorted(ingredients)) or atc_code
    )
    if drug is not None:
        identity = f"drug:{drug.code}"
    else:
        identity = "ingredients:" + ";".join(sorted(ingredients)) + "|" + atc_code
    return Medicine(
        identity=identity,
        drug_code=drug.code if drug else (medication.drug_code or None),
        name_en=name,
        name_zh=medication.name.strip() or (drug.generic_name_zh if drug else name),
        ingredients=ingredients,
        atc_code=atc_code,
        proposed=False,
        source=medication.source,
    )


def medicine_codes(*medicines: Medicine) -> tuple[str, ...]:
    proposed = sorted(m.drug_code for m in medicines if m.proposed and m.drug_code)
    others = [m.drug_code for m in medicines if not m.proposed and m.drug_code]
    return tuple(proposed + others)


_SOURCE_NAMES = {
    "prescription": ("another prescription", "其他处方"),
    "self_reported": ("self-reported", "自述用药"),
}


def medicine_describe(medicine: Medicine) -> tuple[str, str]:
    if medicine.proposed:
        return medicine.name_en, medicine.name_zh
    source_en, source_zh = _SOURCE_NAMES.get(medicine.source, (medicine.source, medicine.source))
    return (
        f"{medicine.name_en} (already taken{f': {source_en}' if source_en else ''})",
        f"{medicine.name_zh}（正在使用{f'：{source_zh}' if source_zh else ''}）",
    )


def drug_finding(
    drug: Drug,
    *,
    kind: FindingKind,
    severity: Severity,
    message: str,
    message_zh: str,
    management: str,
    rule_id: str,
    management_zh: str = "",
) -> Finding:
    """A finding about one drug, sourced to its formulary entry."""
    return Finding(
        kind=kind,
        severity=severity,
        drug_codes=(drug.code,),
        message=message,
        message_zh=message_zh,
        management=management,
        source=drug.source or "formulary",
        rule_id=rule_id,
        management_zh=management_zh,
    )
