"""Prescription decision support: what a prescriber and the reviewing pharmacist must see.

`check_prescription` takes the patient's facts, the proposed items and the medicines the patient
already takes, and returns findings (interactions, allergies, duplicate therapy, dose over the
maximum, pregnancy/lactation, age, forbidden control class, unknown drug), worst first. It is
pure: no database, no side effects; the knowledge comes from `hospital.knowledge` (the CSV files)
unless the caller passes its own `Knowledge`.

It errs towards telling: whatever it cannot check (an unknown drug, a unit it cannot convert,
an unknown frequency, a child's dose without a weight) is itself a finding, never a silent pass.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from hospital.knowledge import (
    AllergyRule,
    Caution,
    ControlClass,
    Drug,
    InteractionRule,
    Knowledge,
    Severity,
    get_knowledge,
    normalize_term,
)

__all__ = [
    "ActiveMedication",
    "Finding",
    "FindingKind",
    "PatientFacts",
    "ProposedItem",
    "RecordedAllergy",
    "Severity",
    "check_prescription",
    "frequency_per_day",
    "highest_severity",
]

ADULT_AGE_YEARS = 18
ELDERLY_AGE_YEARS = 65
# Women in this age range with no recorded pregnancy status get a reminder for drugs that
# must be avoided in pregnancy.
CHILDBEARING_AGE_YEARS = (12, 55)
# Classes where two different members together add toxicity (bleeding, GI and kidney injury):
# a duplicate here is major, and it is one across the class's level-4 subgroups too
# (ibuprofen M01AE with diclofenac M01AB; warfarin B01AA with rivaroxaban B01AF).
HIGH_RISK_DUPLICATE_CLASSES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("systemic NSAIDs", "非甾体抗炎药", ("M01A",)),
    ("anticoagulants", "抗凝药", ("B01AA", "B01AB", "B01AE", "B01AF")),
)
# PRN ("as needed") has no fixed frequency; the dose check assumes the usual label ceiling of
# four doses a day, so a PRN dose that would exceed the maximum at 4×/day is flagged.
PRN_ASSUMED_DOSES_PER_DAY = Decimal(4)


class FindingKind(StrEnum):
    INTERACTION = "interaction"
    ALLERGY = "allergy"
    DUPLICATE_THERAPY = "duplicate_therapy"
    DOSE_OVER_MAXIMUM = "dose_over_maximum"
    PREGNANCY = "pregnancy"
    LACTATION = "lactation"
    PAEDIATRIC_AGE = "paediatric_age"
    ELDERLY = "elderly"
    FORBIDDEN_CONTROL_CLASS = "forbidden_control_class"
    UNKNOWN_DRUG = "unknown_drug"


@dataclass(frozen=True, slots=True)
class RecordedAllergy:
    substance: str  # as recorded, zh or en: "青霉素", "Penicillin", "sulfa"
    severity: str = ""  # as recorded (mild, severe, anaphylaxis …); shown, not interpreted


@dataclass(frozen=True, slots=True)
class PatientFacts:
    age_years: float
    weight_kg: Decimal | None
    sex: str  # "female"/"male" (also F/M, 女/男)
    pregnant: bool | None  # None: not recorded
    lactating: bool | None
    allergies: Sequence[RecordedAllergy] = ()
    conditions: Sequence[str] = ()  # ICD-10 codes


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


def highest_severity(findings: Iterable[Finding]) -> Severity | None:
    """The worst severity among `findings`, None when there are none."""
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)


# --- frequency -------------------------------------------------------------------------------

FREQUENCY_PER_DAY: dict[str, Decimal] = {
    "QD": Decimal(1),
    "BID": Decimal(2),
    "TID": Decimal(3),
    "QID": Decimal(4),
    "QN": Decimal(1),
    "QHS": Decimal(1),
    "QAM": Decimal(1),
    "QPM": Decimal(1),
    "QOD": Decimal("0.5"),
    "QW": Decimal(1) / Decimal(7),
    "BIW": Decimal(2) / Decimal(7),
    "TIW": Decimal(3) / Decimal(7),
    "PRN": PRN_ASSUMED_DOSES_PER_DAY,
    "STAT": Decimal(1),
    "ONCE": Decimal(1),
    # as often written on Chinese prescriptions
    "每日一次": Decimal(1),
    "每日两次": Decimal(2),
    "每日二次": Decimal(2),
    "每日三次": Decimal(3),
    "每日四次": Decimal(4),
    "每晚一次": Decimal(1),
    "睡前": Decimal(1),
    "隔日一次": Decimal("0.5"),
    "每周一次": Decimal(1) / Decimal(7),
    "必要时": PRN_ASSUMED_DOSES_PER_DAY,
    "立即": Decimal(1),
}
_EVERY_N_HOURS = re.compile(r"Q(\d{1,2})H")


def _frequency_code(frequency: str) -> str:
    return re.sub(r"[\s.]", "", frequency).upper()


def frequency_per_day(frequency: str) -> Decimal:
    """Administrations per day for a frequency code (case and dots ignored: "b.i.d." = BID).

    Q<n>H is 24/n (Q4H 6, Q6H 4, Q8H 3, Q12H 2). PRN counts as PRN_ASSUMED_DOSES_PER_DAY.
    Raises ValueError for a code it does not know.
    """
    code = _frequency_code(frequency)
    if code in FREQUENCY_PER_DAY:
        return FREQUENCY_PER_DAY[code]
    every = _EVERY_N_HOURS.fullmatch(code)
    if every and 1 <= int(every.group(1)) <= 24 and 24 % int(every.group(1)) == 0:
        return Decimal(24 // int(every.group(1)))
    if every and int(every.group(1)) in (36, 48, 72):
        return Decimal(24) / Decimal(int(every.group(1)))
    raise ValueError(f"unknown frequency {frequency!r}")


# --- units -----------------------------------------------------------------------------------

# unit → (dimension, factor to the dimension's base unit)
_UNITS: dict[str, tuple[str, Decimal]] = {
    "kg": ("mass", Decimal(1000000)),
    "g": ("mass", Decimal(1000)),
    "克": ("mass", Decimal(1000)),
    "mg": ("mass", Decimal(1)),
    "毫克": ("mass", Decimal(1)),
    "µg": ("mass", Decimal("0.001")),
    "μg": ("mass", Decimal("0.001")),
    "ug": ("mass", Decimal("0.001")),
    "mcg": ("mass", Decimal("0.001")),
    "微克": ("mass", Decimal("0.001")),
    "ng": ("mass", Decimal("0.000001")),
    "l": ("volume", Decimal(1000)),
    "ml": ("volume", Decimal(1)),
    "毫升": ("volume", Decimal(1)),
    "µl": ("volume", Decimal("0.001")),
    "μl": ("volume", Decimal("0.001")),
    "iu": ("unit", Decimal(1)),
    "u": ("unit", Decimal(1)),
    "unit": ("unit", Decimal(1)),
    "units": ("unit", Decimal(1)),
    "单位": ("unit", Decimal(1)),
    "万单位": ("unit", Decimal(10000)),
    "万iu": ("unit", Decimal(10000)),
    "mmol": ("amount", Decimal(1)),
    "mbq": ("activity", Decimal(1)),
    "gbq": ("activity", Decimal(1000)),
}
# A "dose form unit" (one tablet, one capsule, one puff): converted through the drug's strength.
_COUNT_UNIT_NAMES = """
    tablet tablets tab tabs 片 capsule capsules cap caps 粒 pill pills 丸 sachet sachets 袋 包
    piece pieces 支 枚 suppository patch 贴 puff puffs 揿 喷 drop drops 滴 ampoule vial dose
    doses spray sprays application applications inhalation inhalations 吸 次
"""
_COUNT_UNITS = frozenset(_COUNT_UNIT_NAMES.split())


def _unit_key(unit: str) -> str:
    return unit.strip().replace(" ", "").lower()


def _dimension(unit: str) -> tuple[str, Decimal] | None:
    key = _unit_key(unit)
    if key in _COUNT_UNITS:
        return ("count", Decimal(1))
    return _UNITS.get(key)


_CONCENTRATION = re.compile(
    r"(\d+(?:\.\d+)?)\s*([a-zµμ]+)\s*/\s*(\d+(?:\.\d+)?)?\s*(ml|l)\b", re.IGNORECASE
)
_LIQUID_FORMS = re.compile(
    r"solution|suspension|syrup|emulsion|elixir|liquid|drops|溶液|混悬|糖浆|乳|口服液|滴",
    re.IGNORECASE,
)


def _strength_basis(drug: Drug) -> tuple[str, Decimal, str]:
    """The drug's strength as (amount unit, per how many, per what): 100 mg/5 ml → (mg, 5, ml).

    An explicit "mg/5ml" strength unit says it; a bare unit ("mg") is per one dose unit when
    the drug is dosed in something else (667 mg of lactulose dosed in mL is per mL), per mL
    when the strength text or the dosage form says it is a liquid ("32 mg/mL"), and otherwise
    per tablet, capsule or other single dose form.
    """
    numerator, _, denominator = drug.strength_unit.partition("/")
    if denominator:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)?\s*(.+?)\s*", denominator)
        if not match:
            return numerator, Decimal(1), denominator
        return numerator, Decimal(match.group(1) or 1), match.group(2)
    strength_dim, dose_dim = _dimension(numerator), _dimension(drug.dose_unit)
    if dose_dim is not None and (strength_dim is None or strength_dim[0] != dose_dim[0]):
        return numerator, Decimal(1), drug.dose_unit
    for value, unit, per_amount, per in _CONCENTRATION.findall(drug.strength):
        if Decimal(value) == drug.strength_value and _unit_key(unit) == _unit_key(numerator):
            return numerator, Decimal(per_amount or 1), per
    if _LIQUID_FORMS.search(drug.dosage_form):
        return numerator, Decimal(1), "ml"
    return numerator, Decimal(1), "tablet"


def _in_unit(amount: Decimal, unit: str, target: str) -> Decimal | None:
    source_dim, target_dim = _dimension(unit), _dimension(target)
    if source_dim is None or target_dim is None or source_dim[0] != target_dim[0]:
        return None
    return amount * source_dim[1] / target_dim[1]


def convert_dose(amount: Decimal, unit: str, drug: Drug) -> Decimal | None:
    """`amount` of `unit` expressed in the drug's dose unit, None if they cannot be related.

    Mass, volume and unit quantities convert within their kind (g ↔ mg ↔ µg); a dose-form
    count (tablets, puffs) or a liquid volume converts through the drug's strength
    (strength_value per strength_unit, e.g. 500 mg per tablet or 100 mg/5ml).
    """
    direct = _in_unit(amount, unit, drug.dose_unit)
    if direct is not None:
        return direct
    if drug.strength_value is None or not drug.strength_unit:
        return None
    per_unit, per_amount, per = _strength_basis(drug)
    # The strength says: strength_value `per_unit` in every `per_amount` `per`.
    in_per = _in_unit(amount, unit, per)
    if in_per is not None:
        active = in_per / per_amount * drug.strength_value
        return _in_unit(active, per_unit, drug.dose_unit)
    in_active = _in_unit(amount, unit, per_unit)
    if in_active is not None:
        forms = in_active / drug.strength_value * per_amount
        return _in_unit(forms, per, drug.dose_unit)
    return None


def _fmt(number: Decimal) -> str:
    rounded = number.quantize(Decimal("0.01")) if number != number.to_integral_value() else number
    text = f"{rounded.normalize():f}"
    return text


# --- the engine ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Medicine:
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


def _proposed_medicine(drug: Drug) -> _Medicine:
    return _Medicine(
        identity=f"drug:{drug.code}",
        drug_code=drug.code,
        name_en=drug.generic_name_en,
        name_zh=drug.generic_name_zh,
        ingredients=frozenset(drug.ingredients),
        atc_code=drug.atc_code,
        proposed=True,
    )


def _active_medicine(medication: ActiveMedication, knowledge: Knowledge) -> _Medicine | None:
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
    return _Medicine(
        identity=identity,
        drug_code=drug.code if drug else (medication.drug_code or None),
        name_en=name,
        name_zh=medication.name.strip() or (drug.generic_name_zh if drug else name),
        ingredients=ingredients,
        atc_code=atc_code,
        proposed=False,
        source=medication.source,
    )


def _codes(*medicines: _Medicine) -> tuple[str, ...]:
    proposed = sorted(m.drug_code for m in medicines if m.proposed and m.drug_code)
    others = [m.drug_code for m in medicines if not m.proposed and m.drug_code]
    return tuple(proposed + others)


_SOURCE_NAMES = {
    "prescription": ("another prescription", "其他处方"),
    "self_reported": ("self-reported", "自述用药"),
}


def _describe(medicine: _Medicine) -> tuple[str, str]:
    if medicine.proposed:
        return medicine.name_en, medicine.name_zh
    source_en, source_zh = _SOURCE_NAMES.get(medicine.source, (medicine.source, medicine.source))
    return (
        f"{medicine.name_en} (already taken{f': {source_en}' if source_en else ''})",
        f"{medicine.name_zh}（正在使用{f'：{source_zh}' if source_zh else ''}）",
    )


def check_prescription(
    *,
    patient: PatientFacts,
    items: Sequence[ProposedItem],
    active_medications: Sequence[ActiveMedication],
    knowledge: Knowledge | None = None,
) -> list[Finding]:
    """Every finding for this prescription, worst first.

    Raises `hospital.knowledge.KnowledgeUnavailable` when no `knowledge` is passed and the
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
    proposed = [_proposed_medicine(d) for d in drugs]
    active = [m for m in (_active_medicine(a, kb) for a in active_medications) if m is not None]
    pregnant, lactating = _pregnancy_status(patient)

    for drug in drugs:
        findings.extend(_control_class(drug))
        findings.extend(_pregnancy_and_lactation(drug, patient, pregnant, lactating))
        findings.extend(_age(drug, patient))
    findings.extend(_pregnancy_status_reminder(drugs, patient, pregnant))
    findings.extend(_doses(known, patient))
    findings.extend(_allergies(patient.allergies, drugs, kb))
    findings.extend(_interactions(proposed, active, kb.interactions))
    findings.extend(_duplicates(known, active, kb))
    return _sorted_unique(findings)


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
        _drug_finding(
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
            _drug_finding(
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
            _drug_finding(
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


def _age(drug: Drug, patient: PatientFacts) -> list[Finding]:
    findings = []
    age = patient.age_years
    minimum = drug.paediatric_min_age_years
    if minimum is not None and age < float(minimum):
        findings.append(
            _drug_finding(
                drug,
                kind=FindingKind.PAEDIATRIC_AGE,
                severity=Severity.MAJOR,
                message=(
                    f"{drug.generic_name_en}: not for patients under {_fmt(minimum)} years "
                    f"(patient is {age:g})."
                    + (f" {drug.paediatric_caution}" if drug.paediatric_caution else "")
                ),
                message_zh=f"{drug.generic_name_zh}：不适用于{_fmt(minimum)}岁以下患者（患者{age:g}岁）。",
                management="Choose an alternative licensed for this age.",
                rule_id="age.paediatric_minimum",
            )
        )
    elif age < ADULT_AGE_YEARS and drug.paediatric_caution:
        findings.append(
            _drug_finding(
                drug,
                kind=FindingKind.PAEDIATRIC_AGE,
                severity=Severity.INFO,
                message=f"{drug.generic_name_en}: in children: {drug.paediatric_caution}",
                message_zh=f"{drug.generic_name_zh}：儿童用药注意：{drug.paediatric_caution}",
                management="Check the paediatric dosing and cautions.",
                rule_id="age.paediatric_caution",
            )
        )
    if age >= ELDERLY_AGE_YEARS and drug.elderly_caution:
        findings.append(
            _drug_finding(
                drug,
                kind=FindingKind.ELDERLY,
                severity=Severity.MODERATE,
                message=f"{drug.generic_name_en}: in older adults: {drug.elderly_caution}",
                message_zh=f"{drug.generic_name_zh}：老年人用药注意：{drug.elderly_caution}",
                management="Consider a safer alternative or a lower dose, and monitor.",
                rule_id="age.elderly",
            )
        )
    return findings


def _drug_finding(
    drug: Drug,
    *,
    kind: FindingKind,
    severity: Severity,
    message: str,
    message_zh: str,
    management: str,
    rule_id: str,
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
    )


def _dose_finding(
    drug: Drug, rule_id: str, message: str, message_zh: str, management: str
) -> Finding:
    return _drug_finding(
        drug,
        kind=FindingKind.DOSE_OVER_MAXIMUM,
        severity=Severity.MAJOR,
        message=message,
        message_zh=message_zh,
        management=management,
        rule_id=rule_id,
    )


def _doses(known: Sequence[tuple[ProposedItem, Drug]], patient: PatientFacts) -> list[Finding]:
    """Daily dose per drug; two lines of the same drug count together."""
    by_code: dict[str, list[ProposedItem]] = {}
    drugs: dict[str, Drug] = {}
    for item, drug in known:
        by_code.setdefault(drug.code, []).append(item)
        drugs[drug.code] = drug
    findings = []
    for code, drug_items in by_code.items():
        drug = drugs[code]
        daily, problem = _daily_dose(drug, drug_items)
        if problem is not None:
            findings.append(problem)
            continue
        assert daily is not None
        if drug.weekly_dosing:
            findings.extend(_weekly_frequency(drug, drug_items))
        findings.extend(_dose_against_limit(drug, daily, drug_items, patient))
    return findings


def _daily_dose(
    drug: Drug, drug_items: Sequence[ProposedItem]
) -> tuple[Decimal | None, Finding | None]:
    total = Decimal(0)
    for item in drug_items:
        try:
            dose = Decimal(item.dose)
        except (ArithmeticError, TypeError, ValueError):
            dose = Decimal(-1)
        if not dose.is_finite() or dose <= 0:
            return None, _dose_finding(
                drug,
                "dose.invalid",
                f"{drug.generic_name_en}: dose {item.dose!r} is not a positive amount.",
                f"{drug.generic_name_zh}：单次剂量“{item.dose}”无效。",
                "Enter the dose per administration.",
            )
        try:
            per_day = frequency_per_day(item.frequency)
        except ValueError:
            return None, _dose_finding(
                drug,
                "dose.unknown_frequency",
                f"{drug.generic_name_en}: frequency {item.frequency!r} is not recognised, so "
                "the daily dose cannot be checked.",
                f"{drug.generic_name_zh}：无法识别用药频次“{item.frequency}”，无法核对日剂量。",
                "Use a standard frequency code (QD, BID, TID, QID, Q8H, QN, PRN …).",
            )
        amount = convert_dose(dose, item.dose_unit, drug)
        if amount is None:
            return None, _dose_finding(
                drug,
                "dose.unit_incompatible",
                f"{drug.generic_name_en}: dose unit {item.dose_unit!r} cannot be converted to "
                f"{drug.dose_unit!r}, so the daily dose cannot be checked.",
                f"{drug.generic_name_zh}：剂量单位“{item.dose_unit}”无法换算为“{drug.dose_unit}”，"
                "无法核对日剂量。",
                f"Prescribe the dose in {drug.dose_unit}.",
            )
        total += amount * per_day
    return total, None


def _weekly_frequency(drug: Drug, drug_items: Sequence[ProposedItem]) -> list[Finding]:
    """A once-weekly drug given more often: the classic fatal methotrexate error."""
    too_often = [i for i in drug_items if frequency_per_day(i.frequency) > FREQUENCY_PER_DAY["QW"]]
    if not too_often:
        return []
    frequencies = ", ".join(i.frequency for i in too_often)
    return [
        _drug_finding(
            drug,
            kind=FindingKind.DOSE_OVER_MAXIMUM,
            severity=Severity.CONTRAINDICATED,
            message=(
                f"{drug.generic_name_en}: taken once a week, but prescribed {frequencies}; "
                "more frequent dosing is a known fatal error."
            ),
            message_zh=f"{drug.generic_name_zh}：应每周服用一次，处方频次为{frequencies}，"
            "按日服用可致严重甚至致命的中毒。",
            management="Prescribe QW (once a week) and name the day.",
            rule_id="dose.weekly_drug_frequency",
        )
    ]


def _dose_against_limit(
    drug: Drug, daily: Decimal, drug_items: Sequence[ProposedItem], patient: PatientFacts
) -> list[Finding]:
    """Daily dose against the limit; for a once-weekly drug, the weekly dose (× 7)."""
    if drug.weekly_dosing:
        daily *= 7
    period_en, period_zh = ("a week", "每周") if drug.weekly_dosing else ("a day", "每日")
    unit = drug.dose_unit
    how = " + ".join(f"{_fmt(Decimal(i.dose))} {i.dose_unit} {i.frequency}" for i in drug_items)
    if any(_frequency_code(i.frequency) in {"PRN", "必要时"} for i in drug_items):
        how += f" (PRN counted as up to {PRN_ASSUMED_DOSES_PER_DAY} doses a day)"
    adult_max = drug.adult_max_daily_dose
    findings = []
    limit, basis_en, basis_zh = adult_max, "adult maximum", f"成人{period_zh}最大剂量"
    per_kg = drug.paediatric_max_daily_dose_per_kg
    if patient.age_years < ADULT_AGE_YEARS and per_kg is not None:
        weight = patient.weight_kg
        if weight is None or Decimal(weight) <= 0:
            findings.append(
                _dose_finding(
                    drug,
                    "dose.weight_required",
                    f"{drug.generic_name_en}: the patient is a child and no weight is recorded; "
                    f"the dose limit is {_fmt(per_kg)} {unit}/kg {period_en}.",
                    f"{drug.generic_name_zh}：患者为儿童且未记录体重，无法按体重"
                    f"（{period_zh} {_fmt(per_kg)} {unit}/kg）核对剂量。",
                    "Record the child's weight and check the dose per kg.",
                )
            )
        else:
            by_weight = per_kg * Decimal(weight)
            if adult_max is None or by_weight < adult_max:
                limit = by_weight
                basis_en = f"paediatric maximum ({_fmt(per_kg)} {unit}/kg × {_fmt(weight)} kg)"
                basis_zh = (
                    f"儿童{period_zh}最大剂量（{_fmt(per_kg)} {unit}/kg × {_fmt(weight)} kg）"
                )
    if limit is not None and daily > limit:
        findings.append(
            _dose_finding(
                drug,
                "dose.daily_maximum",
                f"{drug.generic_name_en}: {_fmt(daily)} {unit} {period_en} ({how}) exceeds "
                f"the {basis_en} of {_fmt(limit)} {unit} {period_en}.",
                f"{drug.generic_name_zh}：{period_zh}剂量 {_fmt(daily)} {unit}（{how}）超过"
                f"{basis_zh} {_fmt(limit)} {unit}。",
                "Reduce the dose or the frequency.",
            )
        )
    return findings


# --- allergies -------------------------------------------------------------------------------

_ALLERGY_PREFIXES = ("allergic to ", "allergy to ", "对")
_ALLERGY_SUFFIXES = (
    "过敏史",
    "过敏",
    " allergy",
    " allergies",
    " allergic",
    "类药物",
    "类抗生素",
    "类抗菌药物",
    "类抗菌药",
    "类药",
    "类",
    "药物",
    " drugs",
    " drug",
    " antibiotics",
    " antibiotic",
    " class",
    " group",
)
_SEPARATORS = re.compile(r"[,，、;；/|]|\band\b|和|及")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@functools.lru_cache(maxsize=4096)
def allergy_terms(text: str) -> frozenset[str]:
    """The forms under which a recorded allergy (or an allergen name) can be matched.

    "青霉素类过敏" → {青霉素类过敏, 青霉素类, 青霉素}; "Penicillins" → {penicillins,
    penicillin}; a list ("青霉素、磺胺") is split into its parts.
    """
    terms: set[str] = set()
    for part in _SEPARATORS.split(text):
        pending = [normalize_term(part)]
        while pending:
            term = pending.pop().strip()
            if not term or term in terms:
                continue
            terms.add(term)
            for prefix in _ALLERGY_PREFIXES:
                if term.startswith(prefix):
                    pending.append(term[len(prefix) :])
            for suffix in _ALLERGY_SUFFIXES:
                if term.endswith(suffix):
                    pending.append(term[: -len(suffix)])
            if term.isascii() and len(term) > 3:
                if term.endswith("ies"):
                    pending.append(term[:-3] + "y")
                elif term.endswith("s") and not term.endswith("ss"):
                    pending.append(term[:-1])
    return frozenset(terms)


def _names_match(recorded: frozenset[str], names: frozenset[str]) -> bool:
    if recorded & names:
        return True
    # Chinese records are often shortened ("头孢" for 头孢菌素类): accept a 2+ character prefix.
    return any(len(r) >= 2 and _CJK.match(r) and n.startswith(r) for r in recorded for n in names)


@dataclass(frozen=True, slots=True)
class _AllergyHit:
    severity: Severity
    rule_id: str
    note: str
    note_zh: str
    source: str
    allergy: RecordedAllergy
    via: str = ""  # how the allergy reaches the drug when it does not name it


def _allergies(
    allergies: Sequence[RecordedAllergy], drugs: Sequence[Drug], kb: Knowledge
) -> list[Finding]:
    best: dict[str, _AllergyHit] = {}
    if not allergies:
        return []
    rules_by_group: dict[str, list[AllergyRule]] = {}
    for rule in kb.allergy_rules:
        rules_by_group.setdefault(normalize_term(rule.allergen), []).append(rule)
    group_terms = {
        group: frozenset().union(*(_rule_terms(r) for r in rules))
        for group, rules in rules_by_group.items()
    }
    for allergy in allergies:
        recorded = allergy_terms(allergy.substance)
        if not recorded:
            continue
        named = _named_ingredients(recorded, kb)
        groups = _allergen_groups(recorded, named, rules_by_group, group_terms, kb)
        for drug in drugs:
            hit = _allergy_hit(drug, allergy, named, groups)
            if hit is not None and (
                drug.code not in best or hit.severity.rank > best[drug.code].severity.rank
            ):
                best[drug.code] = hit
    findings = []
    for code, hit in best.items():
        drug = kb.drugs_by_code[code]
        recorded_severity = f" ({hit.allergy.severity})" if hit.allergy.severity else ""
        recorded_zh = f"（{hit.allergy.severity}）" if hit.allergy.severity else ""
        findings.append(
            Finding(
                kind=FindingKind.ALLERGY,
                severity=hit.severity,
                drug_codes=(code,),
                message=(
                    f"{drug.generic_name_en}: patient is allergic to "
                    f"{hit.allergy.substance}{recorded_severity}"
                    + (f" ({hit.via})" if hit.via else "")
                    + "."
                    + (f" {hit.note}" if hit.note else "")
                ),
                message_zh=(
                    f"{drug.generic_name_zh}：患者对{hit.allergy.substance}过敏{recorded_zh}。"
                    + (hit.note_zh or "")
                ),
                management=(
                    "Do not prescribe; choose a drug from another class."
                    if hit.severity is Severity.CONTRAINDICATED
                    else "Prefer another class; if used, monitor for a reaction."
                ),
                source=hit.source,
                rule_id=hit.rule_id,
            )
        )
    return findings


def _named_ingredients(recorded: frozenset[str], kb: Knowledge) -> set[str]:
    """Ingredients the allergy text names directly: an ingredient or a drug's generic name."""
    named = {
        ingredient
        for ingredient in kb.drugs_by_ingredient
        if any(ingredient == term or ingredient.startswith(term + " ") for term in recorded)
    }
    for drug in kb.drugs_by_code.values():
        names = frozenset(
            {normalize_term(drug.generic_name_en), normalize_term(drug.generic_name_zh)}
        )
        if recorded & names:
            named.update(drug.ingredients)
        elif len(drug.ingredients) == 1 and _names_match(recorded, names):
            # A shortened Chinese name ("头孢") names the single-ingredient drugs it begins;
            # a combination product's other ingredients are not what the patient reacted to.
            named.update(drug.ingredients)
    return named


def _allergen_groups(
    recorded: frozenset[str],
    named: set[str],
    rules_by_group: dict[str, list[AllergyRule]],
    group_terms: dict[str, frozenset[str]],
    kb: Knowledge,
) -> dict[str, list[AllergyRule]]:
    """Allergen groups (allergen → its rules) that apply to the recorded allergy.

    A group applies when the allergy names it ("青霉素", "penicillins", a listed synonym).
    When no group is named, an ingredient the allergy names brings in the narrowest group it
    belongs to: a group's contraindicated rules describe its own class (amoxicillin is a
    penicillin), its weaker rules are cross-reactions and do not make a member. The narrowest
    wins so that an allergy to one cephalosporin brings in the cephalosporin rules, not the
    umbrella beta-lactam group that would forbid every penicillin too.
    """
    by_name = {
        group: rules
        for group, rules in rules_by_group.items()
        if _names_match(recorded, group_terms[group])
    }
    if by_name or not named:
        return by_name
    member_of = {
        group: rules
        for group, rules in rules_by_group.items()
        if any(
            _is_class_member(ingredient, rule, kb)
            for ingredient in named
            for rule in rules
            if rule.severity is Severity.CONTRAINDICATED
        )
    }
    if not member_of:
        return {}
    breadth = {group: _class_size(rules, kb) for group, rules in member_of.items()}
    narrowest = min(breadth.values())
    return {group: rules for group, rules in member_of.items() if breadth[group] == narrowest}


def _rule_terms(rule: AllergyRule) -> frozenset[str]:
    return frozenset().union(*(allergy_terms(name) for name in rule.names))


def _class_size(rules: Sequence[AllergyRule], kb: Knowledge) -> int:
    """How many formulary drugs the group's own class (its contraindicated rules) covers."""
    own = [r.matches for r in rules if r.severity is Severity.CONTRAINDICATED]
    return sum(
        1
        for drug in kb.drugs_by_code.values()
        if any(m.matches(drug.ingredients, drug.atc_code) for m in own)
    )


def _is_class_member(ingredient: str, rule: AllergyRule, kb: Knowledge) -> bool:
    if rule.matches.kind == "ingredient":
        return rule.matches.matches((ingredient,), "")
    # Only single-ingredient products tell an ingredient's class: clavulanic acid is not a
    # penicillin even though co-amoxiclav is classified J01CR.
    return any(
        drug.ingredients == (ingredient,) and rule.matches.matches((), drug.atc_code)
        for drug in kb.drugs_by_ingredient.get(ingredient, ())
    )


def _allergy_hit(
    drug: Drug,
    allergy: RecordedAllergy,
    named: set[str],
    groups: dict[str, list[AllergyRule]],
) -> _AllergyHit | None:
    recorded = allergy_terms(allergy.substance)
    best: AllergyRule | None = None
    for rules in groups.values():
        for rule in rules:
            if rule.matches.matches(drug.ingredients, drug.atc_code) and (
                best is None or rule.severity.rank > best.severity.rank
            ):
                best = rule
    direct = sorted(i for i in drug.ingredients if i in named)
    if direct:
        # The drug contains what the patient reacted to: contraindicated whatever the class
        # rules say; their note still explains the class.
        return _AllergyHit(
            severity=Severity.CONTRAINDICATED,
            rule_id=f"allergy:ingredient:{direct[0]}",
            note=best.note if best else "",
            note_zh=best.note_zh if best else "",
            source=(best.source if best else "") or "patient allergy record",
            allergy=allergy,
            via="" if recorded & set(direct) else f"contains {', '.join(direct)}",
        )
    if best is None:
        return None
    return _AllergyHit(
        severity=best.severity,
        rule_id=best.rule_id,
        note=best.note,
        note_zh=best.note_zh,
        source=best.source or "allergy cross-reactivity rules",
        allergy=allergy,
        via="" if recorded & best.names else f"{best.allergen} group",
    )


# --- pairwise: interactions and duplicates -------------------------------------------------


def _interactions(
    proposed: Sequence[_Medicine],
    active: Sequence[_Medicine],
    rules: Sequence[InteractionRule],
) -> list[Finding]:
    pairs: dict[frozenset[str], tuple[_Medicine, _Medicine]] = {}
    for index, first in enumerate(proposed):
        for second in [*proposed[index + 1 :], *active]:
            # The same medicine twice is duplicate therapy, not an interaction.
            if first.identity == second.identity or first.ingredients == second.ingredients:
                continue
            pairs.setdefault(frozenset({first.identity, second.identity}), (first, second))
    # Which rule sides each medicine matches, once per medicine rather than once per pair.
    medicines = {m.identity: m for pair in pairs.values() for m in pair}
    sides = {
        identity: (
            frozenset(
                i for i, r in enumerate(rules) if r.side_a.matches(m.ingredients, m.atc_code)
            ),
            frozenset(
                i for i, r in enumerate(rules) if r.side_b.matches(m.ingredients, m.atc_code)
            ),
        )
        for identity, m in medicines.items()
    }
    findings = []
    for first, second in pairs.values():
        first_a, first_b = sides[first.identity]
        second_a, second_b = sides[second.identity]
        matching = (first_a & second_b) | (second_a & first_b)
        if not matching:
            continue
        rule = _worst_interaction(rules[i] for i in sorted(matching))
        first_en, first_zh = _describe(first)
        second_en, second_zh = _describe(second)
        findings.append(
            Finding(
                kind=FindingKind.INTERACTION,
                severity=rule.severity,
                drug_codes=_codes(first, second),
                message=f"{first_en} + {second_en}: {rule.effect}",
                message_zh=f"{first_zh} + {second_zh}：{rule.effect_zh}",
                management=rule.management,
                source=rule.source,
                rule_id=rule.id,
            )
        )
    return findings


def _worst_interaction(matching: Iterable[InteractionRule]) -> InteractionRule:
    """The most severe rule for a pair; an ingredient rule wins a tie over a class rule, and
    the first in the file wins a full tie."""
    return max(
        matching,
        key=lambda rule: (
            rule.severity.rank,
            (rule.side_a.kind == "ingredient") + (rule.side_b.kind == "ingredient"),
        ),
    )


def _duplicates(
    known: Sequence[tuple[ProposedItem, Drug]], active: Sequence[_Medicine], kb: Knowledge
) -> list[Finding]:
    lines = [_proposed_medicine(drug) for _, drug in known]
    seen: set[object] = set()
    findings = []
    for index, first in enumerate(lines):
        for second in [*lines[index + 1 :], *active]:
            # One finding per pair of medicines; the same drug on two lines and the same drug
            # already taken are different findings.
            key: object = (
                (first.identity, second.proposed)
                if first.identity == second.identity
                else frozenset({first.identity, second.identity})
            )
            if key in seen:
                continue
            finding = _duplicate(first, second, kb)
            if finding is not None:
                seen.add(key)
                findings.append(finding)
    return findings


def _in_class(medicine: _Medicine, prefixes: tuple[str, ...]) -> bool:
    return medicine.atc_code.upper().startswith(prefixes)


def _duplicate(first: _Medicine, second: _Medicine, kb: Knowledge) -> Finding | None:
    first_en, first_zh = _describe(first)
    second_en, second_zh = _describe(second)
    shared = sorted(first.ingredients & second.ingredients)
    if first.identity == second.identity and second.proposed:
        return Finding(
            kind=FindingKind.DUPLICATE_THERAPY,
            severity=Severity.MAJOR,
            drug_codes=_codes(first),
            message=f"{first_en} is prescribed on more than one line.",
            message_zh=f"{first_zh}在本处方中重复开具。",
            management="Keep one line with the total intended dose.",
            source="formulary",
            rule_id="duplicate.same_drug",
        )
    if first.identity == second.identity:
        # Usually a renewal of a chronic medicine: worth confirming, not alarming.
        return Finding(
            kind=FindingKind.DUPLICATE_THERAPY,
            severity=Severity.MODERATE,
            drug_codes=_codes(first, second),
            message=f"{first_en}: the patient already takes it ({second.source or 'active'}).",
            message_zh=f"{first_zh}：患者正在使用该药（{second.source or '在用'}）。",
            management="Confirm this is a renewal and the previous supply is ending or stopped.",
            source="formulary",
            rule_id="duplicate.already_taking",
        )
    if shared:
        ingredients = ", ".join(shared)
        return Finding(
            kind=FindingKind.DUPLICATE_THERAPY,
            severity=Severity.MAJOR,
            drug_codes=_codes(first, second),
            message=(
                f"{first_en} and {second_en} both contain {ingredients}: risk of double dosing."
            ),
            message_zh=f"{first_zh}与{second_zh}含有相同成分（{ingredients}），有重复用药、过量风险。",
            management="Use only one product containing this ingredient.",
            source="formulary",
            rule_id="duplicate.same_ingredient",
        )
    group = first.atc_level4
    excepted = group in kb.duplicate_therapy_exceptions and group == second.atc_level4
    for name_en, name_zh, prefixes in HIGH_RISK_DUPLICATE_CLASSES:
        if excepted:
            break
        if _in_class(first, prefixes) and _in_class(second, prefixes):
            return Finding(
                kind=FindingKind.DUPLICATE_THERAPY,
                severity=Severity.MAJOR,
                drug_codes=_codes(first, second),
                message=(
                    f"{first_en} and {second_en} are both {name_en}: "
                    "additive toxicity, use only one."
                ),
                message_zh=f"{first_zh}与{second_zh}均为{name_zh}，毒性叠加，只能使用一种。",
                management="Keep one drug of this class.",
                source="ATC classification",
                rule_id=f"duplicate.class:{'/'.join(prefixes)}",
            )
    if group and group == second.atc_level4 and not excepted:
        return Finding(
            kind=FindingKind.DUPLICATE_THERAPY,
            severity=Severity.MODERATE,
            drug_codes=_codes(first, second),
            message=f"{first_en} and {second_en} are in the same therapeutic group ({group}).",
            message_zh=f"{first_zh}与{second_zh}属于同一类药物（{group}），重复用药。",
            management="Use one drug of this group unless the combination is intended.",
            source="ATC classification",
            rule_id=f"duplicate.atc:{group}",
        )
    return None
