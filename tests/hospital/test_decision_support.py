"""Prescription decision support: the engine on small knowledge files written here, then clinical
scenarios against the shipped knowledge in hospital/prescriptions/decision_support/data. No
database."""

from __future__ import annotations

import csv
import os
from decimal import Decimal
from pathlib import Path

import pytest

from hospital.prescriptions.decision_support import knowledge_files
from hospital.prescriptions.decision_support.doses import frequency_per_day
from hospital.prescriptions.decision_support.engine import check_prescription
from hospital.prescriptions.decision_support.facts import (
    ActiveMedication,
    Finding,
    FindingKind,
    PatientFacts,
    ProposedItem,
    RecordedAllergy,
    highest_severity,
)
from hospital.prescriptions.decision_support.knowledge import (
    Knowledge,
    KnowledgeUnavailable,
    Severity,
)
from hospital.prescriptions.decision_support.knowledge_files import (
    ALLERGY_COLUMNS,
    COMPONENT_COLUMNS,
    DUPLICATE_EXCEPTION_COLUMNS,
    ELDERLY_COLUMNS,
    FORMULARY_COLUMNS,
    HEPATIC_RULE_COLUMNS,
    INTERACTION_COLUMNS,
    QT_RISK_COLUMNS,
    RENAL_RULE_COLUMNS,
    get_knowledge,
    load_knowledge,
)

SHIPPED_DIR = Path(knowledge_files.__file__).resolve().parent / "data"

# --- a small knowledge base written by the tests -----------------------------------------------

DRUG_DEFAULTS = {
    "strength": "",
    "strength_value": "",
    "strength_unit": "",
    "dosage_form": "tablet",
    "route": "oral",
    "dose_unit": "mg",
    "pack_size": "20",
    "pack_unit": "box",
    "rx_class": "rx",
    "control_class": "normal",
    "adult_max_daily_dose": "",
    "paediatric_max_daily_dose_per_kg": "",
    "paediatric_min_age_years": "",
    "pregnancy_caution": "none",
    "lactation_caution": "none",
    "elderly_caution": "",
    "paediatric_caution": "",
    "elderly_caution_zh": "",
    "paediatric_caution_zh": "",
    "long_term_allowed": "false",
    "insurance_category": "jia",
    "national_code": "",
    "source": "label",
    "notes": "",
}


def drug(code, zh, en, ingredients, atc, **fields):
    return {
        **DRUG_DEFAULTS,
        "code": code,
        "generic_name_zh": zh,
        "generic_name_en": en,
        "ingredients": ingredients,
        "atc_code": atc,
        **fields,
    }


FORMULARY = [
    drug("WAR", "华法林", "Warfarin", "warfarin", "B01AA03", adult_max_daily_dose="15"),
    drug(
        "IBU",
        "布洛芬",
        "Ibuprofen",
        "ibuprofen",
        "M01AE01",
        adult_max_daily_dose="2400",
        paediatric_max_daily_dose_per_kg="30",
        paediatric_caution="Not for infants under 6 months.",
        paediatric_caution_zh="6个月以下婴儿不宜使用。",
    ),
    drug(
        "PARA",
        "对乙酰氨基酚",
        "Paracetamol",
        "paracetamol",
        "N02BE01",
        strength="500 mg",
        strength_value="500",
        strength_unit="mg",
        adult_max_daily_dose="4000",
        paediatric_max_daily_dose_per_kg="60",
    ),
    drug(
        "PARASYR",
        "对乙酰氨基酚口服溶液",
        "Paracetamol oral solution",
        "paracetamol",
        "N02BE01",
        strength_value="120",
        strength_unit="mg/5ml",
        dosage_form="oral solution",
        adult_max_daily_dose="4000",
    ),
    drug(
        "COLD",
        "氨酚伪麻片",
        "Paracetamol and pseudoephedrine",
        "paracetamol;pseudoephedrine",
        "R05X",
        dose_unit="tablet",
        adult_max_daily_dose="8",
    ),
    drug("AMOX", "阿莫西林", "Amoxicillin", "amoxicillin", "J01CA04", adult_max_daily_dose="6000"),
    drug(
        "AMC",
        "阿莫西林克拉维酸钾",
        "Amoxicillin and clavulanate",
        "amoxicillin;clavulanic acid",
        "J01CR02",
    ),
    drug("CXM", "头孢呋辛", "Cefuroxime", "cefuroxime axetil", "J01DC02"),
    drug("SMX", "复方磺胺甲噁唑", "Co-trimoxazole", "sulfamethoxazole;trimethoprim", "J01EE01"),
    drug(
        "LEV",
        "左氧氟沙星",
        "Levofloxacin",
        "levofloxacin",
        "J01MA12",
        paediatric_min_age_years="18",
    ),
    drug("ENA", "依那普利", "Enalapril", "enalapril", "C09AA02", adult_max_daily_dose="40"),
    drug("LIS", "赖诺普利", "Lisinopril", "lisinopril", "C09AA03", adult_max_daily_dose="80"),
    drug("SPI", "螺内酯", "Spironolactone", "spironolactone", "C03DA01"),
    drug(
        "ATO",
        "阿托伐他汀",
        "Atorvastatin",
        "atorvastatin",
        "C10AA05",
        pregnancy_caution="contraindicated",
        lactation_caution="avoid",
    ),
    drug("AML", "氨氯地平", "Amlodipine", "amlodipine besylate", "C08CA01"),
    drug("NIF", "硝苯地平", "Nifedipine", "nifedipine", "C08CA05"),
    drug("ASP", "阿司匹林", "Aspirin", "aspirin", "B01AC06", pregnancy_caution="caution"),
    drug("CLO", "氯吡格雷", "Clopidogrel", "clopidogrel", "B01AC04"),
    drug(
        "DIA",
        "地西泮",
        "Diazepam",
        "diazepam",
        "N05BA01",
        control_class="psychotropic_2",
        elderly_caution="Falls and sedation (Beers).",
        elderly_caution_zh="跌倒及镇静（Beers标准）。",
    ),
    drug(
        "AMI",
        "阿米替林",
        "Amitriptyline",
        "amitriptyline",
        "N06AA09",
        elderly_caution="Anticholinergic; avoid (Beers).",
        elderly_caution_zh="抗胆碱作用；避免使用（Beers标准）。",
    ),
    drug("MOR", "吗啡", "Morphine", "morphine", "N02AA01", control_class="narcotic"),
    drug("DICLO", "双氯芬酸钠", "Diclofenac", "diclofenac sodium", "M01AB05"),
    drug(
        "IBUSUSP",
        "布洛芬混悬液",
        "Ibuprofen suspension",
        "ibuprofen",
        "M01AE01",
        strength="2 g/100 mL (20 mg/mL)",
        strength_value="20",
        strength_unit="mg",
        dosage_form="oral suspension",
        adult_max_daily_dose="1200",
        paediatric_max_daily_dose_per_kg="40",
    ),
    drug(
        "LAC",
        "乳果糖口服溶液",
        "Lactulose oral solution",
        "lactulose",
        "A06AD11",
        strength_value="667",
        strength_unit="mg",
        dosage_form="oral solution",
        dose_unit="mL",
        adult_max_daily_dose="45",
    ),
    drug("RIV", "利伐沙班", "Rivaroxaban", "rivaroxaban", "B01AF01"),
    drug(
        "MTX",
        "甲氨蝶呤片",
        "Methotrexate",
        "methotrexate",
        "L04AX03",
        adult_max_daily_dose="25",
        notes="ONCE WEEKLY: the limit is per weekly dose.",
    ),
    drug(
        "INS",
        "甘精胰岛素",
        "Insulin glargine",
        "insulin glargine",
        "A10AE04",
        dose_unit="IU",
        dosage_form="injection",
        route="subcutaneous",
        adult_max_daily_dose="100",
    ),
]

INTERACTIONS = [
    {
        "id": "I-WAR-NSAID",
        "side_a": "warfarin",
        "side_b": "atc:M01A",
        "severity": "major",
        "effect": "Bleeding risk increased.",
        "effect_zh": "出血风险增加。",
        "management": "Avoid; use paracetamol.",
        "management_zh": "避免合用；改用对乙酰氨基酚。",
        "mechanism": "pharmacodynamic",
        "source": "BNF",
    },
    {
        "id": "I-WAR-IBU",
        "side_a": "ingredient:ibuprofen",
        "side_b": "ingredient:warfarin",
        "severity": "major",
        "effect": "Ibuprofen with warfarin: bleeding.",
        "effect_zh": "布洛芬与华法林合用：出血。",
        "management": "Avoid.",
        "management_zh": "避免合用。",
        "mechanism": "",
        "source": "BNF",
    },
    {
        "id": "I-ACE-SPI",
        "side_a": "atc:C09A",
        "side_b": "spironolactone",
        "severity": "major",
        "effect": "Hyperkalaemia.",
        "effect_zh": "高钾血症。",
        "management": "Monitor potassium.",
        "management_zh": "监测血钾。",
        "mechanism": "",
        "source": "BNF",
    },
    {
        "id": "I-AML-SIM",
        "side_a": "amlodipine",
        "side_b": "atc:C10AA",
        "severity": "minor",
        "effect": "Statin exposure increased.",
        "effect_zh": "他汀暴露增加。",
        "management": "",
        "management_zh": "",
        "mechanism": "CYP3A4",
        "source": "label",
    },
]

ALLERGY_RULES = [
    {
        "allergen": "penicillin",
        "allergen_zh": "青霉素",
        "matches": "atc:J01C",
        "severity": "contraindicated",
        "note": "All penicillins.",
        "note_zh": "所有青霉素类。",
        "source": "BNF",
        "synonyms": "盘尼西林;penicillins",
    },
    {
        "allergen": "penicillin",
        "allergen_zh": "青霉素",
        "matches": "atc:J01D",
        "severity": "major",
        "note": "Cross-sensitivity with cephalosporins.",
        "note_zh": "与头孢菌素可能交叉过敏。",
        "source": "BNF",
        "synonyms": "",
    },
    {
        "allergen": "sulfonamide",
        "allergen_zh": "磺胺",
        "matches": "ingredient:sulfamethoxazole",
        "severity": "contraindicated",
        "note": "",
        "note_zh": "",
        "source": "BNF",
        "synonyms": "sulfa;sulpha",
    },
]

ALLERGY_RULES += [
    {
        "allergen": allergen,
        "allergen_zh": allergen_zh,
        "matches": matches,
        "severity": severity,
        "note": "",
        "note_zh": "",
        "source": "AAAAI",
        "synonyms": "",
    }
    for allergen, allergen_zh, matches, severity in [
        ("cephalosporin", "头孢菌素", "atc:J01D", "contraindicated"),
        ("cephalosporin", "头孢菌素", "atc:J01C", "moderate"),
        ("beta-lactam", "β-内酰胺", "atc:J01C", "contraindicated"),
        ("beta-lactam", "β-内酰胺", "atc:J01D", "contraindicated"),
    ]
]

EXCEPTIONS = [{"atc_level4": "B01AC", "reason": "dual antiplatelet therapy"}]


def write_csv(path: Path, columns, rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)


def write_knowledge(folder: Path, **overrides) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "formulary.csv": ((*FORMULARY_COLUMNS, "notes"), FORMULARY),
        "interactions.csv": (INTERACTION_COLUMNS, INTERACTIONS),
        "allergy_cross_reactivity.csv": ((*ALLERGY_COLUMNS, "synonyms"), ALLERGY_RULES),
        "duplicate_therapy_exceptions.csv": (DUPLICATE_EXCEPTION_COLUMNS, EXCEPTIONS),
        "renal_rules.csv": (RENAL_RULE_COLUMNS, []),
        "hepatic_rules.csv": (HEPATIC_RULE_COLUMNS, []),
        "qt_risk.csv": (QT_RISK_COLUMNS, []),
        "combination_components.csv": (COMPONENT_COLUMNS, []),
        "elderly_pim.csv": (ELDERLY_COLUMNS, []),
    }
    for name, (columns, rows) in files.items():
        write_csv(folder / name, columns, overrides.get(name, rows))
    return folder


@pytest.fixture
def kb_dir(tmp_path, settings) -> Path:
    folder = write_knowledge(tmp_path / "knowledge")
    settings.CLINICAL_KNOWLEDGE_DIR = str(folder)
    settings.CLINICAL_KNOWLEDGE_MIN_ROWS = {
        "formulary.csv": 5,
        "interactions.csv": 2,
        "allergy_cross_reactivity.csv": 1,
        "renal_rules.csv": 0,
        "hepatic_rules.csv": 0,
        "qt_risk.csv": 0,
        "combination_components.csv": 0,
        "elderly_pim.csv": 0,
    }
    return folder


@pytest.fixture
def kb(kb_dir) -> Knowledge:
    return get_knowledge()


def adult(**fields) -> PatientFacts:
    values = {
        "age_years": 45,
        "weight_kg": Decimal(70),
        "sex": "male",
        "pregnant": None,
        "lactating": None,
        "allergies": (),
        "conditions": (),
    }
    return PatientFacts(**{**values, **fields})


def item(code, dose="1", unit="mg", frequency="QD", **fields) -> ProposedItem:
    values = {
        "drug_code": code,
        "dose": Decimal(dose),
        "dose_unit": unit,
        "frequency": frequency,
        "duration_days": 7,
        "quantity_packs": 1,
        "route": "oral",
    }
    return ProposedItem(**{**values, **fields})


def taking(code=None, ingredients=(), atc="", source="prescription", name="") -> ActiveMedication:
    return ActiveMedication(
        drug_code=code, ingredients=tuple(ingredients), atc_code=atc, source=source, name=name
    )


def check(kb, items, patient=None, active=()) -> list[Finding]:
    return check_prescription(
        patient=patient or adult(), items=items, active_medications=active, knowledge=kb
    )


def of_kind(findings, kind) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def only(findings, kind) -> Finding:
    matching = of_kind(findings, kind)
    assert len(matching) == 1, findings
    return matching[0]


# --- frequencies and severities ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "per_day"),
    [
        ("QD", 1),
        ("BID", 2),
        ("TID", 3),
        ("QID", 4),
        ("Q4H", 6),
        ("Q6H", 4),
        ("Q8H", 3),
        ("Q12H", 2),
        ("QN", 1),
        ("QOD", Decimal("0.5")),
        ("STAT", 1),
        ("PRN", 4),
        ("b.i.d.", 2),
        (" tid ", 3),
    ],
)
def test_frequency_per_day(code, per_day):
    assert frequency_per_day(code) == Decimal(per_day)


@pytest.mark.parametrize(
    ("code", "per_day"),
    [("每日三次", 3), ("每日两次", 2), ("必要时", 4), ("隔日一次", Decimal("0.5"))],
)
def test_chinese_frequencies(code, per_day):
    assert frequency_per_day(code) == Decimal(per_day)


def test_weekly_is_a_seventh_and_unknown_frequency_raises():
    assert frequency_per_day("QW") * 7 == pytest.approx(Decimal(1))
    with pytest.raises(ValueError, match="unknown frequency"):
        frequency_per_day("sometimes")


def test_highest_severity_orders_contraindicated_first():
    def finding(severity):
        return Finding(FindingKind.ELDERLY, severity, ("X",), "", "", "", "", "r")

    assert highest_severity([]) is None
    assert highest_severity([finding(Severity.INFO), finding(Severity.MINOR)]) == Severity.MINOR
    severities = [Severity.MODERATE, Severity.CONTRAINDICATED, Severity.MAJOR]
    assert highest_severity(finding(s) for s in severities) == Severity.CONTRAINDICATED


def test_clean_prescription_has_no_findings(kb):
    assert check(kb, [item("AMOX", "500", frequency="TID")]) == []


# --- interactions ------------------------------------------------------------------------------


def test_interaction_between_proposed_items_is_reported_once_with_the_specific_rule(kb):
    findings = check(kb, [item("WAR", "3"), item("IBU", "400", frequency="TID")])
    finding = only(findings, FindingKind.INTERACTION)
    assert finding.severity == Severity.MAJOR
    assert finding.drug_codes == ("IBU", "WAR")
    # both rules match; the ingredient-specific one wins the tie over the class rule
    assert finding.rule_id == "I-WAR-IBU"
    assert "bleeding" in finding.message.lower()
    assert "出血" in finding.message_zh


def test_interaction_with_an_active_medication_by_code_ingredient_or_atc(kb):
    by_code = check(kb, [item("IBU", "400")], active=[taking("WAR")])
    assert only(by_code, FindingKind.INTERACTION).drug_codes == ("IBU", "WAR")

    self_reported = taking(ingredients=["Warfarin"], source="self_reported", name="Coumadin")
    findings = check(kb, [item("IBU", "400")], active=[self_reported])
    finding = only(findings, FindingKind.INTERACTION)
    assert finding.drug_codes == ("IBU",)
    assert "Coumadin" in finding.message

    other_ace = taking(ingredients=["ramipril"], atc="C09AA05", source="self_reported")
    findings = check(kb, [item("SPI", "25")], active=[other_ace])
    assert only(findings, FindingKind.INTERACTION).rule_id == "I-ACE-SPI"


def test_interaction_matches_any_ingredient_and_salts(kb):
    # amlodipine besylate is amlodipine
    findings = check(kb, [item("AML", "5"), item("ATO", "20")])
    assert only(findings, FindingKind.INTERACTION).severity == Severity.MINOR


def test_same_pair_from_items_and_active_medication_is_reported_once(kb):
    findings = check(kb, [item("WAR", "3"), item("IBU", "400")], active=[taking("WAR")])
    assert len(of_kind(findings, FindingKind.INTERACTION)) == 1


def test_same_drug_twice_is_duplicate_therapy_not_an_interaction(kb):
    findings = check(kb, [item("WAR", "3"), item("WAR", "2")])
    assert of_kind(findings, FindingKind.INTERACTION) == []
    duplicate = only(findings, FindingKind.DUPLICATE_THERAPY)
    assert duplicate.severity == Severity.MAJOR
    assert duplicate.rule_id == "duplicate.same_drug"


# --- allergies ---------------------------------------------------------------------------------


def allergy_findings(kb, substance, codes):
    patient = adult(allergies=(RecordedAllergy(substance, "severe"),))
    findings = check(kb, [item(code, "250") for code in codes], patient=patient)
    return {f.drug_codes[0]: f.severity for f in of_kind(findings, FindingKind.ALLERGY)}


@pytest.mark.parametrize(
    "substance", ["青霉素", "青霉素类过敏", "Penicillin", "penicillins", "盘尼西林"]
)
def test_penicillin_allergy_in_any_spelling_covers_penicillins_and_cephalosporins(kb, substance):
    assert allergy_findings(kb, substance, ["AMOX", "AMC", "CXM", "SMX"]) == {
        "AMOX": Severity.CONTRAINDICATED,
        "AMC": Severity.CONTRAINDICATED,
        "CXM": Severity.MAJOR,
    }


def test_allergy_to_one_penicillin_extends_to_its_class(kb):
    assert allergy_findings(kb, "Amoxicillin", ["AMOX", "AMC", "CXM"]) == {
        "AMOX": Severity.CONTRAINDICATED,
        "AMC": Severity.CONTRAINDICATED,
        "CXM": Severity.MAJOR,
    }
    # the Chinese generic name names the same drug
    assert allergy_findings(kb, "阿莫西林", ["AMOX", "CXM"]) == {
        "AMOX": Severity.CONTRAINDICATED,
        "CXM": Severity.MAJOR,
    }


def test_allergy_to_one_drug_brings_in_its_narrowest_class_not_the_umbrella_group(kb):
    # cefuroxime is a cephalosporin and a beta-lactam; the beta-lactam group would forbid
    # every penicillin, the cephalosporin group only cautions
    assert allergy_findings(kb, "cefuroxime", ["CXM", "AMOX"]) == {
        "CXM": Severity.CONTRAINDICATED,
        "AMOX": Severity.MODERATE,
    }


def test_shortened_chinese_class_name_names_the_class(kb):
    assert allergy_findings(kb, "头孢过敏", ["CXM", "AMOX"]) == {
        "CXM": Severity.CONTRAINDICATED,
        "AMOX": Severity.MODERATE,
    }


def test_allergy_to_a_partner_ingredient_is_not_a_class_allergy(kb):
    # co-amoxiclav is a J01C product, but clavulanic acid alone says nothing about penicillins
    assert allergy_findings(kb, "clavulanic acid", ["AMC", "AMOX"]) == {
        "AMC": Severity.CONTRAINDICATED
    }


def test_sulfa_allergy(kb):
    assert allergy_findings(kb, "Sulfa drugs", ["SMX", "AMOX"]) == {"SMX": Severity.CONTRAINDICATED}
    assert allergy_findings(kb, "磺胺类", ["SMX"]) == {"SMX": Severity.CONTRAINDICATED}


def test_unrecognised_allergy_gives_no_false_finding(kb):
    assert allergy_findings(kb, "花粉 (pollen)", ["AMOX", "IBU"]) == {}
    assert allergy_findings(kb, "", ["AMOX"]) == {}


def test_allergy_to_an_ingredient_without_a_rule_matches_exactly(kb):
    assert allergy_findings(kb, "IBUPROFEN", ["IBU", "PARA"]) == {"IBU": Severity.CONTRAINDICATED}


def test_allergy_finding_mentions_the_recorded_allergy_in_both_languages(kb):
    patient = adult(allergies=(RecordedAllergy("青霉素", "anaphylaxis"),))
    finding = only(check(kb, [item("CXM", "250")], patient=patient), FindingKind.ALLERGY)
    assert "青霉素" in finding.message
    assert "anaphylaxis" in finding.message
    assert "青霉素" in finding.message_zh
    assert finding.source == "BNF"


# --- duplicate therapy -------------------------------------------------------------------------


def test_two_drugs_of_one_atc_group_are_duplicate_therapy(kb):
    duplicate = only(
        check(kb, [item("ENA", "10"), item("LIS", "10")]), FindingKind.DUPLICATE_THERAPY
    )
    assert duplicate.severity == Severity.MODERATE
    assert duplicate.drug_codes == ("ENA", "LIS")
    assert "C09AA" in duplicate.message


def test_duplicate_with_an_active_medication(kb):
    findings = check(kb, [item("AML", "5")], active=[taking("NIF", source="self_reported")])
    duplicate = only(findings, FindingKind.DUPLICATE_THERAPY)
    assert duplicate.drug_codes == ("AML", "NIF")
    assert "self-reported" in duplicate.message


def test_excepted_group_is_not_a_duplicate(kb):
    assert (
        of_kind(check(kb, [item("ASP", "100"), item("CLO", "75")]), FindingKind.DUPLICATE_THERAPY)
        == []
    )


def test_shared_ingredient_across_groups_is_a_major_duplicate(kb):
    findings = check(kb, [item("PARA", "500"), item("COLD", "1", unit="tablet")])
    duplicate = only(findings, FindingKind.DUPLICATE_THERAPY)
    assert duplicate.severity == Severity.MAJOR
    assert "paracetamol" in duplicate.message


def test_two_nsaids_or_two_anticoagulants_are_a_major_duplicate_across_subgroups(kb):
    nsaids = only(
        check(kb, [item("IBU", "400"), item("DICLO", "50")]), FindingKind.DUPLICATE_THERAPY
    )
    assert nsaids.severity == Severity.MAJOR
    findings = check(kb, [item("RIV", "20")], active=[taking("WAR")])
    assert only(findings, FindingKind.DUPLICATE_THERAPY).severity == Severity.MAJOR


def test_renewal_of_a_drug_already_taken_is_a_moderate_reminder(kb):
    findings = check(kb, [item("AML", "5")], active=[taking("AML")])
    duplicate = only(findings, FindingKind.DUPLICATE_THERAPY)
    assert duplicate.severity == Severity.MODERATE
    assert duplicate.rule_id == "duplicate.already_taking"


# --- dose --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dose", "unit", "frequency", "over"),
    [
        ("1", "g", "QID", False),
        ("1000", "mg", "QID", False),
        ("1.5", "g", "QID", True),
        ("1500", "mg", "QID", True),
        ("1000000", "µg", "QID", False),
        ("1000001", "mcg", "QID", True),
        ("2", "tablet", "QID", False),  # 2 × 500 mg
        ("3", "片", "QID", True),
        ("1", "g", "Q4H", True),
        ("1", "g", "PRN", False),
        ("1.5", "g", "PRN", True),
    ],
)
def test_adult_daily_dose_against_maximum(kb, dose, unit, frequency, over):
    findings = of_kind(
        check(kb, [item("PARA", dose, unit, frequency)]), FindingKind.DOSE_OVER_MAXIMUM
    )
    assert bool(findings) is over
    if over:
        assert findings[0].severity == Severity.MAJOR
        assert "4000 mg" in findings[0].message
        assert "4000 mg" in findings[0].message_zh


def test_prn_assumption_is_stated(kb):
    finding = only(
        check(kb, [item("PARA", "1500", frequency="PRN")]), FindingKind.DOSE_OVER_MAXIMUM
    )
    assert "PRN counted as up to 4" in finding.message


def test_liquid_dose_in_ml_converts_through_strength(kb):
    # 120 mg/5 ml: 40 ml QID is 3840 mg, 45 ml QID is 4320 mg
    assert check(kb, [item("PARASYR", "40", "ml", "QID")]) == []
    assert of_kind(check(kb, [item("PARASYR", "45", "ml", "QID")]), FindingKind.DOSE_OVER_MAXIMUM)


def test_bare_strength_of_a_liquid_is_per_ml(kb):
    # "20 mg/mL" in the strength text: 15 mL TID is 900 mg, 25 mL TID is 1500 mg (max 1200)
    assert check(kb, [item("IBUSUSP", "15", "mL", "TID")]) == []
    assert of_kind(check(kb, [item("IBUSUSP", "25", "mL", "TID")]), FindingKind.DOSE_OVER_MAXIMUM)
    # lactulose is dosed in mL with 667 mg per mL: 10 g BID is about 30 mL, 20 g BID about 60
    assert check(kb, [item("LAC", "10", "g", "BID")]) == []
    assert of_kind(check(kb, [item("LAC", "20", "g", "BID")]), FindingKind.DOSE_OVER_MAXIMUM)


def test_once_weekly_drug_is_checked_per_week_and_never_daily(kb):
    assert check(kb, [item("MTX", "15", frequency="QW")]) == []
    over = only(check(kb, [item("MTX", "30", frequency="QW")]), FindingKind.DOSE_OVER_MAXIMUM)
    assert "a week" in over.message
    assert "每周" in over.message_zh
    # 2.5 mg daily is only 17.5 mg a week, but daily methotrexate is the fatal error
    daily = only(check(kb, [item("MTX", "2.5", frequency="QD")]), FindingKind.DOSE_OVER_MAXIMUM)
    assert daily.severity == Severity.CONTRAINDICATED
    assert daily.rule_id == "dose.weekly_drug_frequency"


def test_two_lines_of_one_drug_count_together(kb):
    findings = check(
        kb, [item("PARA", "1000", frequency="TID"), item("PARA", "1000", frequency="QN")]
    )
    assert of_kind(findings, FindingKind.DOSE_OVER_MAXIMUM) == []
    findings = check(
        kb, [item("PARA", "1000", frequency="TID"), item("PARA", "1500", frequency="QN")]
    )
    assert of_kind(findings, FindingKind.DOSE_OVER_MAXIMUM)


def test_dose_in_count_units_for_a_drug_dosed_in_tablets(kb):
    assert of_kind(check(kb, [item("COLD", "2", "片", "QID")]), FindingKind.DOSE_OVER_MAXIMUM) == []
    assert of_kind(check(kb, [item("COLD", "3", "tablets", "QID")]), FindingKind.DOSE_OVER_MAXIMUM)


def test_units_are_a_kind_of_their_own(kb):
    assert check(kb, [item("INS", "20", "IU", "QN")]) == []
    assert of_kind(check(kb, [item("INS", "120", "U", "QN")]), FindingKind.DOSE_OVER_MAXIMUM)


@pytest.mark.parametrize(
    ("code", "unit", "frequency", "rule_id"),
    [
        ("INS", "mg", "QN", "dose.unit_incompatible"),
        ("WAR", "ml", "QD", "dose.unit_incompatible"),
        ("WAR", "mg", "now and then", "dose.unknown_frequency"),
    ],
)
def test_what_cannot_be_checked_is_a_finding_not_a_crash(kb, code, unit, frequency, rule_id):
    finding = only(check(kb, [item(code, "5", unit, frequency)]), FindingKind.DOSE_OVER_MAXIMUM)
    assert finding.rule_id == rule_id
    assert finding.severity == Severity.MAJOR


def test_non_positive_dose_is_a_finding(kb):
    finding = only(check(kb, [item("WAR", "0")]), FindingKind.DOSE_OVER_MAXIMUM)
    assert finding.rule_id == "dose.invalid"


def child(age=6, weight=20, **fields) -> PatientFacts:
    return adult(age_years=age, weight_kg=None if weight is None else Decimal(weight), **fields)


def test_child_dose_is_checked_per_kg(kb):
    # ibuprofen 30 mg/kg/day × 20 kg = 600 mg/day
    assert (
        of_kind(
            check(kb, [item("IBU", "200", frequency="TID")], child()), FindingKind.DOSE_OVER_MAXIMUM
        )
        == []
    )
    finding = only(
        check(kb, [item("IBU", "300", frequency="TID")], child()), FindingKind.DOSE_OVER_MAXIMUM
    )
    assert "600 mg" in finding.message
    assert "30 mg/kg" in finding.message


def test_child_dose_never_above_the_adult_maximum(kb):
    heavy_teen = child(age=16, weight=100)  # 30 × 100 = 3000, capped at 2400
    assert (
        of_kind(
            check(kb, [item("IBU", "800", frequency="TID")], heavy_teen),
            FindingKind.DOSE_OVER_MAXIMUM,
        )
        == []
    )
    finding = only(
        check(kb, [item("IBU", "900", frequency="TID")], heavy_teen), FindingKind.DOSE_OVER_MAXIMUM
    )
    assert "adult maximum of 2400 mg" in finding.message


def test_child_without_weight_needs_a_weight(kb):
    finding = only(
        check(kb, [item("IBU", "100", frequency="TID")], child(weight=None)),
        FindingKind.DOSE_OVER_MAXIMUM,
    )
    assert finding.rule_id == "dose.weight_required"
    assert finding.severity == Severity.MAJOR
    assert "体重" in finding.message_zh


def test_child_without_weight_is_still_held_to_the_adult_maximum(kb):
    findings = check(kb, [item("IBU", "1000", frequency="TID")], child(weight=None))
    assert {f.rule_id for f in of_kind(findings, FindingKind.DOSE_OVER_MAXIMUM)} == {
        "dose.weight_required",
        "dose.daily_maximum",
    }


def test_adult_is_not_held_to_the_paediatric_limit(kb):
    assert check(kb, [item("IBU", "600", frequency="TID")], adult(weight_kg=None)) == []


# --- age, pregnancy, lactation, control class, unknown drug ---------------------------------------


def test_minimum_age(kb):
    finding = only(
        check(kb, [item("LEV", "500")], child(age=12, weight=40)), FindingKind.PAEDIATRIC_AGE
    )
    assert finding.severity == Severity.MAJOR
    assert "18" in finding.message
    assert "18" in finding.message_zh
    assert check(kb, [item("LEV", "500")], adult(age_years=18)) == []


def test_paediatric_caution_text_is_information(kb):
    finding = only(
        check(kb, [item("IBU", "100", frequency="TID")], child()), FindingKind.PAEDIATRIC_AGE
    )
    assert finding.severity == Severity.INFO
    assert "6个月以下婴儿不宜使用。" in finding.message_zh
    assert "infants" not in finding.message_zh


def test_elderly_caution(kb):
    # The formulary's note is a reminder; the sourced list of inappropriate medicines is what
    # raises an elderly finding above minor.
    finding = only(check(kb, [item("AMI", "10")], adult(age_years=72)), FindingKind.ELDERLY)
    assert finding.severity == Severity.MINOR
    assert "Beers" in finding.message
    assert finding.message_zh.endswith("抗胆碱作用；避免使用（Beers标准）。")
    assert of_kind(check(kb, [item("AMI", "10")], adult(age_years=64)), FindingKind.ELDERLY) == []


def woman(**fields) -> PatientFacts:
    return adult(sex="female", age_years=30, **fields)


def test_pregnancy_levels(kb):
    statin = only(check(kb, [item("ATO", "20")], woman(pregnant=True)), FindingKind.PREGNANCY)
    assert statin.severity == Severity.CONTRAINDICATED
    aspirin = only(check(kb, [item("ASP", "100")], woman(pregnant=True)), FindingKind.PREGNANCY)
    assert aspirin.severity == Severity.MODERATE
    assert check(kb, [item("ATO", "20")], woman(pregnant=False, lactating=False)) == []


def test_pregnancy_diagnosis_on_record_counts_as_pregnant(kb):
    findings = check(kb, [item("ATO", "20")], woman(conditions=("O24.4",)))
    assert only(findings, FindingKind.PREGNANCY).severity == Severity.CONTRAINDICATED


def test_unknown_pregnancy_status_is_a_quiet_reminder_for_women_of_childbearing_age(kb):
    reminder = only(check(kb, [item("ATO", "20")], woman()), FindingKind.PREGNANCY)
    assert reminder.severity == Severity.INFO
    # not for a drug that is merely "caution", nor for men or older women
    assert check(kb, [item("ASP", "100")], woman()) == []
    assert check(kb, [item("ATO", "20")], adult()) == []
    assert check(kb, [item("ATO", "20")], adult(sex="女", age_years=70)) == []


def test_one_pregnancy_reminder_for_the_whole_prescription(kb):
    findings = check(kb, [item("ATO", "20"), item("ENA", "10")], woman())
    reminder = only(findings, FindingKind.PREGNANCY)
    assert reminder.drug_codes == ("ATO",)  # enalapril has no pregnancy caution in these files


def test_lactation(kb):
    finding = only(
        check(kb, [item("ATO", "20")], woman(pregnant=False, lactating=True)), FindingKind.LACTATION
    )
    assert finding.severity == Severity.MAJOR
    assert "哺乳" in finding.message_zh


@pytest.mark.parametrize(("code", "words"), [("MOR", "narcotic"), ("DIA", "psychotropic")])
def test_controlled_drugs_are_never_prescribed_online(kb, code, words):
    finding = only(check(kb, [item(code, "5")]), FindingKind.FORBIDDEN_CONTROL_CLASS)
    assert finding.severity == Severity.CONTRAINDICATED
    assert words in finding.message
    assert "互联网医院" in finding.message_zh


def test_unknown_drug_fails_closed_and_the_rest_is_still_checked(kb):
    findings = check(kb, [item("NOPE", "5"), item("WAR", "3"), item("IBU", "400")])
    unknown = only(findings, FindingKind.UNKNOWN_DRUG)
    assert unknown.severity == Severity.CONTRAINDICATED
    assert unknown.drug_codes == ("NOPE",)
    assert of_kind(findings, FindingKind.INTERACTION)
    assert findings[0].severity == Severity.CONTRAINDICATED  # worst first


def test_findings_come_worst_first(kb):
    findings = check(
        kb, [item("MOR", "5"), item("ENA", "10"), item("LIS", "10")], adult(age_years=80)
    )
    ranks = [f.severity.rank for f in findings]
    assert ranks == sorted(ranks, reverse=True)


# --- loading the knowledge: fail closed ----------------------------------------------------------


def test_check_uses_the_configured_knowledge_when_none_is_passed(kb_dir):
    findings = check_prescription(patient=adult(), items=[item("MOR", "5")], active_medications=[])
    assert only(findings, FindingKind.FORBIDDEN_CONTROL_CLASS)


def test_knowledge_is_immutable_and_versioned(kb):
    assert kb.version
    with pytest.raises(TypeError):
        kb.drugs_by_code["X"] = kb.drugs_by_code["WAR"]  # type: ignore[index]
    assert kb.duplicate_therapy_exceptions["B01AC"] == "dual antiplatelet therapy"


def test_knowledge_is_cached_and_reloaded_when_a_file_changes(kb_dir):
    first = get_knowledge()
    assert get_knowledge() is first
    write_knowledge(kb_dir, **{"formulary.csv": FORMULARY[:-1]})
    stat = (kb_dir / "formulary.csv").stat()
    os.utime(kb_dir / "formulary.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = get_knowledge()
    assert second is not first
    assert "INS" not in second.drugs_by_code


def test_comment_rows_are_ignored(kb_dir):
    rows = [{**INTERACTIONS[0], "id": "# reviewed 2024"}, *INTERACTIONS]
    write_knowledge(kb_dir, **{"interactions.csv": rows})
    assert len(load_knowledge(kb_dir).interactions) == len(INTERACTIONS)


def broken(rows, index, **changes):
    return [{**row, **changes} if i == index else row for i, row in enumerate(rows)]


@pytest.mark.parametrize(
    ("file_name", "rows", "message"),
    [
        ("formulary.csv", broken(FORMULARY, 0, control_class="controlled"), "control_class"),
        ("formulary.csv", broken(FORMULARY, 1, pregnancy_caution="maybe"), "pregnancy_caution"),
        ("formulary.csv", broken(FORMULARY, 1, adult_max_daily_dose="lots"), "not a number"),
        ("formulary.csv", broken(FORMULARY, 1, adult_max_daily_dose="-5"), "positive"),
        ("formulary.csv", broken(FORMULARY, 2, ingredients=""), "ingredients"),
        ("formulary.csv", broken(FORMULARY, 2, code="WAR"), "duplicate code"),
        ("formulary.csv", FORMULARY[:3], "only 3 rows"),
        ("interactions.csv", broken(INTERACTIONS, 0, severity="bad"), "severity"),
        ("interactions.csv", broken(INTERACTIONS, 0, side_b="class:M01A"), "matcher"),
        ("interactions.csv", broken(INTERACTIONS, 1, id="I-WAR-NSAID"), "duplicate id"),
        ("allergy_cross_reactivity.csv", [], "only 0 rows"),
        ("allergy_cross_reactivity.csv", broken(ALLERGY_RULES, 0, severity="info"), "severity"),
        ("duplicate_therapy_exceptions.csv", [{"atc_level4": "B01", "reason": ""}], "atc_level4"),
    ],
)
def test_invalid_knowledge_is_unavailable(kb_dir, file_name, rows, message):
    write_knowledge(kb_dir, **{file_name: rows})
    with pytest.raises(KnowledgeUnavailable, match=message) as caught:
        get_knowledge()
    assert caught.value.status_code == 503
    assert caught.value.code == "decision_support_unavailable"
    assert file_name in caught.value.message


def test_missing_file_is_unavailable_even_after_a_good_load(kb_dir):
    get_knowledge()
    (kb_dir / "interactions.csv").unlink()
    with pytest.raises(KnowledgeUnavailable, match=r"interactions\.csv"):
        check_prescription(patient=adult(), items=[item("WAR", "3")], active_medications=[])


def test_file_broken_after_a_good_load_is_not_papered_over_with_the_old_copy(kb_dir):
    good = get_knowledge()
    write_knowledge(kb_dir, **{"formulary.csv": broken(FORMULARY, 0, rx_class="sometimes")})
    with pytest.raises(KnowledgeUnavailable, match="rx_class"):
        get_knowledge()
    write_knowledge(kb_dir)
    restored = get_knowledge()
    assert restored.version == good.version


def test_bad_header_is_unavailable(kb_dir):
    write_csv(kb_dir / "interactions.csv", ("id", "a", "b"), [{"id": "x", "a": "y", "b": "z"}])
    with pytest.raises(KnowledgeUnavailable, match="missing column"):
        get_knowledge()


def test_ragged_row_is_unavailable(kb_dir):
    with (kb_dir / "duplicate_therapy_exceptions.csv").open("a", encoding="utf-8") as handle:
        handle.write("C09AA,reason,extra\n")
    with pytest.raises(KnowledgeUnavailable, match="number of fields"):
        get_knowledge()


def test_unreadable_file_is_unavailable(kb_dir):
    (kb_dir / "formulary.csv").write_bytes(b"\xff\xfe\x00garbage\x81")
    with pytest.raises(KnowledgeUnavailable, match="unreadable"):
        get_knowledge()


def test_missing_folder_is_unavailable(settings, tmp_path):
    settings.CLINICAL_KNOWLEDGE_DIR = str(tmp_path / "nowhere")
    with pytest.raises(KnowledgeUnavailable):
        get_knowledge()


def test_default_minimums_reject_a_tiny_formulary(tmp_path, settings):
    settings.CLINICAL_KNOWLEDGE_DIR = str(write_knowledge(tmp_path / "small"))
    settings.CLINICAL_KNOWLEDGE_MIN_ROWS = {}
    with pytest.raises(KnowledgeUnavailable, match="expected at least"):
        get_knowledge()


def test_api_answers_503_when_decision_support_is_unavailable():
    from core.api.exception_handler import api_exception_handler

    response = api_exception_handler(KnowledgeUnavailable("formulary.csv: file missing"), {})
    assert response is not None
    assert response.status_code == 503
    assert response.data["code"] == "decision_support_unavailable"


# --- clinical scenarios on the shipped knowledge (decision_support/data) ----------------------


@pytest.fixture
def shipped(settings) -> Knowledge:
    settings.CLINICAL_KNOWLEDGE_DIR = str(SHIPPED_DIR)
    settings.CLINICAL_KNOWLEDGE_MIN_ROWS = {}  # the production floors apply
    return get_knowledge()


def product(kb: Knowledge, ingredient: str, *, form: str = "tablet", **expected) -> str:
    """Code of the shipped single-ingredient product, found by ingredient (codes may change)."""
    candidates = sorted(
        d.code
        for d in kb.drugs_by_ingredient.get(ingredient, ())
        if len(d.ingredients) == 1
        and form in d.dosage_form
        and all(getattr(d, name) == value for name, value in expected.items())
    )
    if not candidates:  # a salt: "amlodipine besilate"
        candidates = sorted(
            d.code
            for d in kb.drugs_by_code.values()
            if len(d.ingredients) == 1
            and d.ingredients[0].startswith(ingredient + " ")
            and form in d.dosage_form
        )
    assert candidates, f"no shipped {form} of {ingredient}"
    return candidates[0]


def worst(findings, kind) -> Severity | None:
    return highest_severity(of_kind(findings, kind))


def test_shipped_knowledge_loads_with_production_floors(shipped):
    assert len(shipped.drugs_by_code) >= 50
    assert len(shipped.interactions) >= 30
    assert shipped.allergy_rules
    assert "B01AC" in shipped.duplicate_therapy_exceptions


def test_warfarin_with_ibuprofen_is_a_major_bleeding_risk(shipped):
    findings = check(
        shipped,
        [
            item(product(shipped, "warfarin"), "3"),
            item(product(shipped, "ibuprofen", form="capsule"), "300", frequency="BID"),
        ],
    )
    interaction = only(findings, FindingKind.INTERACTION)
    assert interaction.severity.rank >= Severity.MAJOR.rank
    assert "bleeding" in interaction.message.lower()
    assert "出血" in interaction.message_zh


def test_sildenafil_with_a_nitrate_is_contraindicated(shipped):
    findings = check(
        shipped,
        [
            item(product(shipped, "sildenafil"), "50"),
            item(product(shipped, "isosorbide mononitrate"), "40"),
        ],
    )
    assert worst(findings, FindingKind.INTERACTION) == Severity.CONTRAINDICATED


def test_simvastatin_with_clarithromycin(shipped):
    findings = check(
        shipped,
        [
            item(product(shipped, "simvastatin"), "20", frequency="QN"),
            item(product(shipped, "clarithromycin"), "250", frequency="BID"),
        ],
    )
    assert worst(findings, FindingKind.INTERACTION) in {Severity.CONTRAINDICATED, Severity.MAJOR}


def test_sertraline_for_a_patient_already_on_tramadol_risks_serotonin_syndrome(shipped):
    tramadol = taking(ingredients=["tramadol"], atc="N02AX02", source="self_reported")
    findings = check(shipped, [item(product(shipped, "sertraline"), "50")], active=[tramadol])
    interaction = only(findings, FindingKind.INTERACTION)
    assert interaction.severity.rank >= Severity.MAJOR.rank
    assert "serotonin" in interaction.message.lower()


def test_spironolactone_with_enalapril_risks_hyperkalaemia(shipped):
    findings = check(
        shipped,
        [item(product(shipped, "spironolactone"), "20"), item(product(shipped, "enalapril"), "10")],
    )
    interaction = only(findings, FindingKind.INTERACTION)
    assert interaction.severity.rank >= Severity.MAJOR.rank
    assert "kalaemia" in interaction.message.lower()


def test_penicillin_allergy_recorded_in_chinese(shipped):
    amoxicillin = product(shipped, "amoxicillin", form="capsule")
    cefuroxime = product(shipped, "cefuroxime")
    cefalexin = product(shipped, "cefalexin", form="capsule")
    patient = adult(allergies=(RecordedAllergy("青霉素", "rash"),))
    findings = check(
        shipped,
        [
            item(amoxicillin, "500", frequency="TID"),
            item(cefuroxime, "250", frequency="BID"),
            item(cefalexin, "250", frequency="QID"),
        ],
        patient,
    )
    by_drug = {f.drug_codes[0]: f.severity for f in of_kind(findings, FindingKind.ALLERGY)}
    assert by_drug == {
        amoxicillin: Severity.CONTRAINDICATED,
        cefuroxime: Severity.MAJOR,
        cefalexin: Severity.MAJOR,
    }


def test_amoxicillin_allergy_covers_co_amoxiclav(shipped):
    co_amoxiclav = next(
        d.code
        for d in shipped.drugs_by_code.values()
        if set(d.ingredients) == {"amoxicillin", "clavulanic acid"}
    )
    patient = adult(allergies=(RecordedAllergy("Amoxicillin", ""),))
    findings = check(shipped, [item(co_amoxiclav, "1", "tablet", "BID")], patient)
    assert only(findings, FindingKind.ALLERGY).severity == Severity.CONTRAINDICATED


def test_two_ace_inhibitors_are_duplicate_therapy(shipped):
    findings = check(
        shipped,
        [
            item(product(shipped, "enalapril"), "10"),
            item(product(shipped, "captopril"), "25", frequency="TID"),
        ],
    )
    assert only(findings, FindingKind.DUPLICATE_THERAPY).severity.rank >= Severity.MODERATE.rank


def test_amlodipine_for_a_patient_on_nifedipine_is_duplicate_therapy(shipped):
    nifedipine = taking(product(shipped, "nifedipine", form="release tablet"))
    findings = check(shipped, [item(product(shipped, "amlodipine"), "5")], active=[nifedipine])
    duplicate = only(findings, FindingKind.DUPLICATE_THERAPY)
    assert nifedipine.drug_code in duplicate.drug_codes


def test_paracetamol_daily_maximum(shipped):
    paracetamol = product(shipped, "paracetamol")
    limit = shipped.drugs_by_code[paracetamol].adult_max_daily_dose
    assert limit is not None
    assert check(shipped, [item(paracetamol, "500", frequency="QID")]) == []
    # 1 g four times a day is the usual prescribed adult regimen: no false alarm.
    assert check(shipped, [item(paracetamol, "1", "g", "QID")]) == []
    over = check(shipped, [item(paracetamol, "1.5", "g", "QID")])
    assert only(over, FindingKind.DOSE_OVER_MAXIMUM).severity == Severity.MAJOR


def test_ibuprofen_for_a_20_kg_child_is_dosed_by_weight(shipped):
    suspension = product(shipped, "ibuprofen", form="suspension")
    per_kg = shipped.drugs_by_code[suspension].paediatric_max_daily_dose_per_kg
    assert per_kg is not None
    limit = per_kg * 20
    six_year_old = child(age=6, weight=20)
    within = check(shipped, [item(suspension, str(limit / 4), "mg", "QID")], six_year_old)
    assert of_kind(within, FindingKind.DOSE_OVER_MAXIMUM) == []
    over = check(shipped, [item(suspension, str(limit / 3 + 50), "mg", "TID")], six_year_old)
    assert only(over, FindingKind.DOSE_OVER_MAXIMUM).rule_id == "dose.daily_maximum"


def test_child_without_a_weight(shipped):
    suspension = product(shipped, "ibuprofen", form="suspension")
    findings = check(shipped, [item(suspension, "5", "mL", "TID")], child(age=6, weight=None))
    assert only(findings, FindingKind.DOSE_OVER_MAXIMUM).rule_id == "dose.weight_required"


def test_levofloxacin_in_a_12_year_old(shipped):
    findings = check(shipped, [item(product(shipped, "levofloxacin"), "500")], child(12, 40))
    assert worst(findings, FindingKind.PAEDIATRIC_AGE) == Severity.MAJOR


def test_atorvastatin_in_pregnancy_is_contraindicated(shipped):
    findings = check(shipped, [item(product(shipped, "atorvastatin"), "20")], woman(pregnant=True))
    assert worst(findings, FindingKind.PREGNANCY) == Severity.CONTRAINDICATED


def test_beers_drug_in_an_older_patient(shipped):
    findings = check(
        shipped,
        [item(product(shipped, "amitriptyline"), "25", frequency="QN")],
        adult(age_years=78),
    )
    elderly = only(findings, FindingKind.ELDERLY)
    # Beers 2023 says avoid tertiary tricyclics (strong): major, with the list as its source
    assert elderly.severity == Severity.MAJOR
    assert elderly.rule_id == "pim-tertiary-tca"
    assert "Beers" in elderly.source


def test_morphine_is_never_prescribed_online(shipped):
    morphine = product(shipped, "morphine", form="tablet")
    findings = check(shipped, [item(morphine, "30", frequency="Q12H")])
    assert highest_severity(findings) == Severity.CONTRAINDICATED
    assert only(findings, FindingKind.FORBIDDEN_CONTROL_CLASS).drug_codes == (morphine,)


def test_unknown_code_on_the_shipped_formulary(shipped):
    findings = check(shipped, [item("no-such-drug-1mg-tab", "1")])
    assert only(findings, FindingKind.UNKNOWN_DRUG).severity == Severity.CONTRAINDICATED


def test_every_shipped_drug_can_be_checked_at_a_plain_dose(shipped):
    # each product, one dose unit QD, for an adult: never a crash, never an unconvertible unit
    for code, drug in shipped.drugs_by_code.items():
        findings = check(shipped, [item(code, "1", drug.dose_unit, "QD")])
        assert all(f.rule_id != "dose.unit_incompatible" for f in findings), code


def test_daily_methotrexate_on_the_shipped_formulary(shipped):
    methotrexate = product(shipped, "methotrexate")
    assert shipped.drugs_by_code[methotrexate].weekly_dosing
    findings = check(shipped, [item(methotrexate, "7.5", frequency="QD")])
    assert highest_severity(findings) == Severity.CONTRAINDICATED
    assert check(shipped, [item(methotrexate, "7.5", frequency="QW")]) == []
