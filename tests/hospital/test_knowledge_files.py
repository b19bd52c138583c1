"""Integrity of the clinical reference data in hospital/prescriptions/decision_support/data.

These checks read the CSV files with the csv module only (no models, no database); the column
lists are the loader's own, so a column it needs cannot be missing from a file. They catch the
mistakes that silently switch a safety check off: a misspelt ingredient in an interaction rule, an
ATC prefix that matches no drug, a malformed ATC code, an unknown enum value, a number that does
not parse, a missing forbidden control class.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import pytest

from hospital.prescriptions.decision_support.knowledge_files import (
    ALLERGY_COLUMNS,
    DUPLICATE_EXCEPTION_COLUMNS,
    FORMULARY_COLUMNS,
    INTERACTION_COLUMNS,
)

DATA_DIR = (
    Path(__file__).resolve().parents[2] / "hospital" / "prescriptions" / "decision_support" / "data"
)

ATC_CODE = re.compile(r"^[A-Z]\d\d[A-Z][A-Z]\d\d$")
ATC_PREFIX = re.compile(r"^[A-Z](\d\d([A-Z]([A-Z](\d\d)?)?)?)?$")
ATC_LEVEL4 = re.compile(r"^[A-Z]\d\d[A-Z][A-Z]$")
CODE_SLUG = re.compile(r"^[a-z0-9][a-z0-9.\-]*[a-z0-9]$")
CJK = re.compile(r"[\u4e00-\u9fff]")

RX_CLASSES = {"rx", "otc_a", "otc_b"}
CONTROL_CLASSES = {
    "normal",
    "narcotic",
    "psychotropic_1",
    "psychotropic_2",
    "medical_toxic",
    "radioactive",
    "precursor",
    "vaccine",
    "blood_product",
}
CAUTIONS = {"none", "caution", "avoid", "contraindicated"}
INSURANCE = {"jia", "yi", "bing"}
ROUTES = {
    "oral",
    "sublingual",
    "inhalation",
    "topical",
    "iv",
    "im",
    "sc",
    "ophthalmic",
    "nasal",
    "rectal",
    "vaginal",
}
AMOUNT_UNITS = {"mg", "g", "µg", "mL", "IU", "%", "MBq"}
COUNTED_DOSE_UNITS = {"tablet", "capsule", "inhalation", "spray", "drop", "application", "dose"}
SEVERITIES = {"contraindicated", "major", "moderate", "minor"}
SEVERITY_RANK = {"minor": 1, "moderate": 2, "major": 3, "contraindicated": 4}
SALE_RESTRICTIONS = {"none", "ephedrine_combination"}


# --- loading ------------------------------------------------------------------------------------


def _read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [r for r in reader if not (r[reader.fieldnames[0]] or "").startswith("#")]
        return list(reader.fieldnames or []), rows


@cache
def formulary() -> list[dict[str, str]]:
    return _read("formulary.csv")[1]


@cache
def interactions() -> list[dict[str, str]]:
    return _read("interactions.csv")[1]


@cache
def allergy_rules() -> list[dict[str, str]]:
    return _read("allergy_cross_reactivity.csv")[1]


@cache
def duplicate_exceptions() -> list[dict[str, str]]:
    return _read("duplicate_therapy_exceptions.csv")[1]


def ingredients_of(drug: dict[str, str]) -> list[str]:
    return [i.strip() for i in drug["ingredients"].split(";") if i.strip()]


def drug_by_code(code: str) -> dict[str, str]:
    matches = [d for d in formulary() if d["code"] == code]
    assert matches, f"formulary has no drug {code!r}"
    return matches[0]


def parse_side(text: str) -> tuple[str, str]:
    """`atc:C09A` → ("atc", "C09A"); `ingredient:warfarin` or `warfarin` → ("ingredient", ...)."""
    raw = text.strip()
    if raw.lower().startswith("atc:"):
        return "atc", raw[4:].strip()
    if raw.lower().startswith("ingredient:"):
        return "ingredient", raw[len("ingredient:") :].strip()
    return "ingredient", raw


def side_matches(side: str, drug: dict[str, str]) -> bool:
    """Same rule as the loader: ATC prefix, or an ingredient equal to it or a salt of it."""
    kind, value = parse_side(side)
    if kind == "atc":
        return drug["atc_code"].startswith(value)
    return any(i == value or i.startswith(value + " ") for i in ingredients_of(drug))


def drugs_matching(side: str) -> list[dict[str, str]]:
    return [d for d in formulary() if side_matches(side, d)]


def decimal_or_none(value: str) -> Decimal | None:
    text = value.strip()
    if not text:
        return None
    number = Decimal(text)
    assert number.is_finite(), value
    return number


def rules_between(code_a: str, code_b: str) -> list[dict[str, str]]:
    a, b = drug_by_code(code_a), drug_by_code(code_b)
    return [
        r
        for r in interactions()
        if (side_matches(r["side_a"], a) and side_matches(r["side_b"], b))
        or (side_matches(r["side_a"], b) and side_matches(r["side_b"], a))
    ]


# --- formulary -----------------------------------------------------------------------------------


def test_formulary_columns_present():
    header, _ = _read("formulary.csv")
    assert [c for c in FORMULARY_COLUMNS if c not in header] == []
    assert len(header) == len(set(header))


def test_formulary_size():
    assert len(formulary()) >= 150


def test_formulary_codes_are_unique_slugs():
    codes = [d["code"] for d in formulary()]
    assert len(codes) == len(set(codes)), "duplicate drug codes"
    assert [c for c in codes if not CODE_SLUG.match(c)] == []


def test_required_text_fields_filled():
    required = ("generic_name_zh", "generic_name_en", "ingredients", "dosage_form", "source")
    missing = [(d["code"], c) for d in formulary() for c in required if not d[c].strip()]
    assert missing == []
    assert [d["code"] for d in formulary() if not CJK.search(d["generic_name_zh"])] == []


def test_atc_codes_are_full_who_codes():
    bad = [(d["code"], d["atc_code"]) for d in formulary() if not ATC_CODE.match(d["atc_code"])]
    assert bad == []


def test_ingredients_are_lowercase_and_distinct():
    for drug in formulary():
        names = ingredients_of(drug)
        assert names, drug["code"]
        assert len(names) == len(set(names)), drug["code"]
        for name in names:
            assert name == name.lower(), (drug["code"], name)
            assert name == " ".join(name.split()), (drug["code"], name)


@pytest.mark.parametrize(
    ("column", "allowed"),
    [
        ("rx_class", RX_CLASSES),
        ("control_class", CONTROL_CLASSES),
        ("pregnancy_caution", CAUTIONS),
        ("lactation_caution", CAUTIONS),
        ("insurance_category", INSURANCE),
        ("route", ROUTES),
        ("strength_unit", AMOUNT_UNITS),
        ("dose_unit", AMOUNT_UNITS | COUNTED_DOSE_UNITS),
        ("long_term_allowed", {"true", "false"}),
        ("sale_restriction", SALE_RESTRICTIONS),
    ],
)
def test_formulary_enums(column, allowed):
    bad = [(d["code"], d.get(column)) for d in formulary() if d.get(column) not in allowed]
    assert bad == []


def test_formulary_cautions_have_their_chinese():
    for drug in formulary():
        for column in ("elderly_caution", "paediatric_caution"):
            if drug[column].strip():
                assert CJK.search(drug[f"{column}_zh"]), (drug["code"], column)
            else:
                assert not drug[f"{column}_zh"].strip(), (drug["code"], column)


def test_formulary_numbers_parse():
    for drug in formulary():
        code = drug["code"]
        try:
            strength = decimal_or_none(drug["strength_value"])
            pack = decimal_or_none(drug["pack_size"])
            adult = decimal_or_none(drug["adult_max_daily_dose"])
            per_kg = decimal_or_none(drug["paediatric_max_daily_dose_per_kg"])
            min_age = decimal_or_none(drug["paediatric_min_age_years"])
        except InvalidOperation:
            pytest.fail(f"{code}: a numeric column does not parse")
        assert strength is None or strength > 0, code
        assert pack is not None, code
        assert pack > 0, code
        assert pack == pack.to_integral_value(), code
        assert adult is None or adult > 0, code
        assert per_kg is None or per_kg > 0, code
        assert min_age is None or 0 <= min_age <= 18, code
        if per_kg is not None and adult is not None:
            # a per-kg ceiling that exceeds the adult ceiling at 10 kg is a unit slip
            assert per_kg * 10 <= adult * 2, code


def test_national_code_is_blank_or_real_format():
    # No invented placeholders: blank, or the 14-digit 国家药品编码 starting 86.
    bad = [
        d["code"]
        for d in formulary()
        if d["national_code"] and not re.fullmatch(r"86\d{12}", d["national_code"])
    ]
    assert bad == []


def test_every_forbidden_control_class_present():
    present = {d["control_class"] for d in formulary()}
    assert CONTROL_CLASSES - present == set()


def test_controlled_drugs_are_prescription_only():
    bad = [
        d["code"] for d in formulary() if d["control_class"] != "normal" and d["rx_class"] != "rx"
    ]
    assert bad == []


@pytest.mark.parametrize(
    ("code", "control_class"),
    [
        ("morphine-30mg-srtab", "narcotic"),
        ("diazepam-2.5mg-tab", "psychotropic_2"),
        ("alprazolam-0.4mg-tab", "psychotropic_2"),
        ("zolpidem-10mg-tab", "psychotropic_2"),
        ("tramadol-100mg-srtab", "psychotropic_2"),
        ("methylphenidate-18mg-ertab", "psychotropic_1"),
        ("influenza-vaccine-split-0.5ml", "vaccine"),
        ("human-albumin-20pct-50ml", "blood_product"),
        ("arsenic-trioxide-10mg-inj", "medical_toxic"),
        ("sodium-iodide-131i-oral", "radioactive"),
        ("ephedrine-25mg-tab", "precursor"),
    ],
)
def test_known_controlled_drugs(code, control_class):
    assert drug_by_code(code)["control_class"] == control_class


def test_restricted_ephedrine_combination_present():
    restricted = [d for d in formulary() if d["sale_restriction"] == "ephedrine_combination"]
    assert restricted, "need a 含麻黄碱类复方制剂 to test the online-sale restriction"
    for drug in restricted:
        names = ingredients_of(drug)
        assert len(names) > 1, drug["code"]
        assert any(n.split()[0] in {"pseudoephedrine", "ephedrine"} for n in names), drug["code"]


def test_short_course_classes_not_long_term():
    # Systemic antibacterials/antifungals, acute antivirals, opioids, hypnotics, antiemetics,
    # triptans: never a long supply.
    prefixes = ("J01", "J02", "J05AB", "J05AH", "J05AE", "N02A", "N05C", "A04A", "N02CC")
    bad = [
        d["code"]
        for d in formulary()
        if d["atc_code"].startswith(prefixes) and d["long_term_allowed"] == "true"
    ]
    assert bad == []


def test_chronic_disease_drugs_long_term():
    prefixes = ("A10", "C07", "C08", "C09", "C10AA", "H03A", "B01AA", "B01AF")
    bad = [
        d["code"]
        for d in formulary()
        if d["atc_code"].startswith(prefixes) and d["long_term_allowed"] != "true"
    ]
    assert bad == []


@pytest.mark.parametrize(
    ("atc_prefix", "min_age"),
    [("J01MA", 18), ("J01AA", 8)],
)
def test_paediatric_age_limits_for_quinolones_and_tetracyclines(atc_prefix, min_age):
    for drug in drugs_matching(f"atc:{atc_prefix}"):
        assert decimal_or_none(drug["paediatric_min_age_years"]) == min_age, drug["code"]


def test_aspirin_not_for_under_16():
    for drug in drugs_matching("aspirin"):
        assert decimal_or_none(drug["paediatric_min_age_years"]) == 16, drug["code"]


def test_teratogenic_classes_flagged_in_pregnancy():
    # RAS blockers, statins, warfarin, quinolones, tetracyclines: label contraindication.
    for prefix in ("C09A", "C09C", "C09D", "C09X", "C10AA", "B01AA", "J01MA", "J01AA"):
        for drug in drugs_matching(f"atc:{prefix}"):
            assert drug["pregnancy_caution"] == "contraindicated", drug["code"]


# --- interactions --------------------------------------------------------------------------------


def test_interaction_columns_present():
    header, _ = _read("interactions.csv")
    assert [c for c in INTERACTION_COLUMNS if c not in header] == []


def test_interaction_count():
    assert len(interactions()) >= 80


def test_interaction_ids_unique():
    ids = [r["id"] for r in interactions()]
    assert len(ids) == len(set(ids))


def test_interaction_fields_complete():
    for rule in interactions():
        assert rule["severity"] in SEVERITIES, rule["id"]
        for column in ("effect", "effect_zh", "management", "management_zh", "mechanism", "source"):
            assert rule[column].strip(), (rule["id"], column)
        assert CJK.search(rule["effect_zh"]), rule["id"]
        assert CJK.search(rule["management_zh"]), rule["id"]


def test_interaction_sides_resolve_to_formulary_drugs():
    unresolved = []
    for rule in interactions():
        for column in ("side_a", "side_b"):
            kind, value = parse_side(rule[column])
            if kind == "atc":
                assert ATC_PREFIX.match(value), (rule["id"], value)
            else:
                assert value, rule["id"]
                assert value == value.lower(), (rule["id"], value)
            if not drugs_matching(rule[column]):
                unresolved.append((rule["id"], rule[column]))
    assert unresolved == [], "rule sides matching no formulary drug (typo?)"


def test_no_duplicate_or_self_pairs():
    seen: dict[frozenset[tuple[str, str]], str] = {}
    for rule in interactions():
        a, b = parse_side(rule["side_a"]), parse_side(rule["side_b"])
        assert a != b, rule["id"]
        key = frozenset((a, b))
        assert key not in seen, f"{rule['id']} repeats {seen.get(key)}"
        seen[key] = rule["id"]


@pytest.mark.parametrize(
    ("code_a", "code_b", "min_severity"),
    [
        ("sildenafil-100mg-tab", "isosorbide-mononitrate-40mg-srtab", "contraindicated"),
        ("tadalafil-5mg-tab", "nitroglycerin-0.5mg-sltab", "contraindicated"),
        ("warfarin-2.5mg-tab", "ibuprofen-300mg-srcap", "major"),
        ("warfarin-2.5mg-tab", "aspirin-100mg-ectab", "major"),
        ("warfarin-2.5mg-tab", "sertraline-50mg-tab", "moderate"),
        ("warfarin-2.5mg-tab", "clarithromycin-250mg-tab", "major"),
        ("warfarin-2.5mg-tab", "fluconazole-150mg-cap", "major"),
        ("warfarin-2.5mg-tab", "metronidazole-200mg-tab", "major"),
        ("warfarin-2.5mg-tab", "amiodarone-200mg-tab", "major"),
        ("rivaroxaban-10mg-tab", "naproxen-250mg-tab", "major"),
        ("simvastatin-20mg-tab", "clarithromycin-250mg-tab", "contraindicated"),
        ("simvastatin-20mg-tab", "itraconazole-100mg-cap", "contraindicated"),
        ("simvastatin-20mg-tab", "nirmatrelvir-ritonavir-pack", "contraindicated"),
        ("simvastatin-20mg-tab", "gemfibrozil-300mg-cap", "contraindicated"),
        ("simvastatin-20mg-tab", "ciclosporin-25mg-cap", "contraindicated"),
        ("simvastatin-20mg-tab", "amlodipine-5mg-tab", "moderate"),
        ("sertraline-50mg-tab", "moclobemide-150mg-tab", "contraindicated"),
        ("sertraline-50mg-tab", "tramadol-100mg-srtab", "major"),
        ("escitalopram-10mg-tab", "linezolid-600mg-tab", "major"),
        ("fluoxetine-20mg-cap", "sumatriptan-50mg-tab", "moderate"),
        # amiodarone with moxifloxacin: two known QT drugs, found from qt_risk.csv alone
        ("enalapril-10mg-tab", "spironolactone-20mg-tab", "major"),
        ("losartan-50mg-tab", "potassium-chloride-500mg-srtab", "major"),
        ("enalapril-10mg-tab", "valsartan-80mg-cap", "major"),
        ("enalapril-10mg-tab", "sacubitril-valsartan-100mg-tab", "contraindicated"),
        ("aliskiren-150mg-tab", "irbesartan-150mg-tab", "major"),
        ("lithium-carbonate-250mg-tab", "diclofenac-75mg-srtab", "major"),
        ("lithium-carbonate-250mg-tab", "enalapril-10mg-tab", "major"),
        ("lithium-carbonate-250mg-tab", "hydrochlorothiazide-25mg-tab", "major"),
        ("methotrexate-2.5mg-tab", "sulfamethoxazole-trimethoprim-400-80mg-tab", "major"),
        ("methotrexate-2.5mg-tab", "ibuprofen-300mg-srcap", "major"),
        ("digoxin-0.25mg-tab", "amiodarone-200mg-tab", "major"),
        ("digoxin-0.25mg-tab", "verapamil-40mg-tab", "major"),
        ("digoxin-0.25mg-tab", "clarithromycin-250mg-tab", "major"),
        ("clopidogrel-75mg-tab", "omeprazole-20mg-eccap", "major"),
        ("clopidogrel-75mg-tab", "esomeprazole-20mg-ectab", "major"),
        ("metformin-500mg-tab", "iohexol-300mgi-100ml-inj", "major"),
        ("glimepiride-2mg-tab", "fluconazole-150mg-cap", "major"),
        ("gliclazide-30mg-mrtab", "clarithromycin-250mg-tab", "major"),
        ("levofloxacin-500mg-tab", "hydrotalcite-500mg-chewtab", "moderate"),
        ("ciprofloxacin-250mg-tab", "ferrous-succinate-100mg-tab", "moderate"),
        ("doxycycline-100mg-tab", "calcium-carbonate-750mg-tab", "moderate"),
        ("theophylline-100mg-srtab", "ciprofloxacin-250mg-tab", "major"),
        ("tizanidine-2mg-tab", "ciprofloxacin-250mg-tab", "contraindicated"),
        ("allopurinol-100mg-tab", "azathioprine-50mg-tab", "major"),
        ("morphine-30mg-srtab", "diazepam-2.5mg-tab", "major"),
        ("metoprolol-tartrate-25mg-tab", "verapamil-40mg-tab", "major"),
        ("bisoprolol-5mg-tab", "diltiazem-30mg-tab", "moderate"),
        ("spironolactone-20mg-tab", "potassium-chloride-500mg-srtab", "major"),
        ("sildenafil-100mg-tab", "doxazosin-4mg-crtab", "moderate"),
        ("tadalafil-5mg-tab", "tamsulosin-0.2mg-srcap", "moderate"),
        ("carbamazepine-200mg-tab", "drospirenone-ethinylestradiol-tab", "major"),
        ("rifampicin-150mg-cap", "rivaroxaban-10mg-tab", "major"),
        ("colchicine-0.5mg-tab", "clarithromycin-250mg-tab", "contraindicated"),
        ("domperidone-10mg-tab", "erythromycin-250mg-ectab", "contraindicated"),
    ],
)
def test_classic_pairs_fire(code_a, code_b, min_severity):
    rules = rules_between(code_a, code_b)
    assert rules, f"no interaction rule fires for {code_a} × {code_b}"
    worst = max(SEVERITY_RANK[r["severity"]] for r in rules)
    assert worst >= SEVERITY_RANK[min_severity], [r["id"] for r in rules]


@pytest.mark.parametrize(
    ("code_a", "code_b"),
    [
        # ATC sides target systemic products: eye drops and gels must not trigger these rules.
        ("levofloxacin-0.5pct-eyedrops", "hydrotalcite-500mg-chewtab"),
        ("diclofenac-1pct-gel", "warfarin-2.5mg-tab"),
        ("amoxicillin-500mg-cap", "paracetamol-500mg-tab"),
    ],
)
def test_no_rule_for_unrelated_or_topical_pairs(code_a, code_b):
    assert rules_between(code_a, code_b) == []


# --- allergy rules -------------------------------------------------------------------------------


def test_allergy_columns_present():
    header, _ = _read("allergy_cross_reactivity.csv")
    assert [c for c in ALLERGY_COLUMNS if c not in header] == []


def test_allergy_rule_count():
    assert len(allergy_rules()) >= 20


def test_allergy_rules_complete_and_resolve():
    seen = set()
    for rule in allergy_rules():
        label = (rule["allergen"], rule["matches"])
        assert rule["allergen"].strip(), label
        assert rule["allergen_zh"].strip(), label
        assert rule["severity"] in SEVERITIES, label
        for column in ("note", "note_zh", "source"):
            assert rule[column].strip(), (label, column)
        assert CJK.search(rule["note_zh"]), label
        kind, value = parse_side(rule["matches"])
        assert rule["matches"].startswith(("atc:", "ingredient:")), label
        if kind == "atc":
            assert ATC_PREFIX.match(value), label
        assert drugs_matching(rule["matches"]), f"{label} matches no formulary drug"
        key = (rule["allergen"].lower(), rule["matches"].lower())
        assert key not in seen, label
        seen.add(key)


def test_allergy_topics_covered():
    allergens = {r["allergen"].lower() for r in allergy_rules()}
    expected = {
        "penicillin",
        "cephalosporin",
        "beta-lactam",
        "sulfonamide",
        "aspirin",
        "nsaid",
        "macrolide",
        "quinolone",
        "codeine",
        "ester local anaesthetic",
        "amide local anaesthetic",
        "iodinated contrast",
        "ace inhibitor",
    }
    assert expected - allergens == set()


def _allergy_severity(allergen: str, code: str) -> str | None:
    drug = drug_by_code(code)
    hits = [
        r["severity"]
        for r in allergy_rules()
        if r["allergen"].lower() == allergen and side_matches(r["matches"], drug)
    ]
    return max(hits, key=SEVERITY_RANK.__getitem__) if hits else None


@pytest.mark.parametrize(
    ("allergen", "code", "severity"),
    [
        ("penicillin", "amoxicillin-500mg-cap", "contraindicated"),
        ("penicillin", "amoxicillin-clavulanate-625mg-tab", "contraindicated"),
        ("penicillin", "cefalexin-250mg-cap", "major"),
        ("penicillin", "meropenem-0.5g-inj", "moderate"),
        ("sulfonamide", "sulfamethoxazole-trimethoprim-400-80mg-tab", "contraindicated"),
        ("sulfonamide", "furosemide-20mg-tab", "minor"),
        ("sulfonamide", "hydrochlorothiazide-25mg-tab", "minor"),
        ("aspirin", "ibuprofen-300mg-srcap", "major"),
        ("aspirin", "celecoxib-200mg-cap", "minor"),
        ("ace inhibitor", "perindopril-4mg-tab", "contraindicated"),
        ("ace inhibitor", "sacubitril-valsartan-100mg-tab", "contraindicated"),
        ("ace inhibitor", "losartan-50mg-tab", "moderate"),
        ("codeine", "morphine-30mg-srtab", "major"),
        ("ester local anaesthetic", "lidocaine-2pct-5ml-inj", "minor"),
        ("iodinated contrast", "iohexol-300mgi-100ml-inj", "major"),
    ],
)
def test_allergy_cross_reactivity(allergen, code, severity):
    assert _allergy_severity(allergen, code) == severity


# --- duplicate therapy ---------------------------------------------------------------------------


def test_duplicate_exceptions_valid():
    header, rows = _read("duplicate_therapy_exceptions.csv")
    assert tuple(header[: len(DUPLICATE_EXCEPTION_COLUMNS)]) == DUPLICATE_EXCEPTION_COLUMNS
    groups = [r["atc_level4"] for r in rows]
    assert len(groups) == len(set(groups))
    for row in rows:
        assert ATC_LEVEL4.match(row["atc_level4"]), row
        assert row["reason"].strip(), row
        # an exception only means something if the formulary has two different members
        members = {tuple(ingredients_of(d)) for d in drugs_matching(f"atc:{row['atc_level4']}")}
        assert len(members) >= 2, row["atc_level4"]


def test_documentation_present():
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert "2026-11-22" in readme
    assert "pharmacist" in readme
    assert (DATA_DIR / "duplicate_therapy.md").read_text(encoding="utf-8").strip()
