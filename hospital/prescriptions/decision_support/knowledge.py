"""Clinical knowledge for prescription decision support, loaded from the CSV files in one folder.

The folder is `settings.CLINICAL_KNOWLEDGE_DIR` when set, else
`hospital/prescriptions/decision_support/data`. Nine files:

- `formulary.csv`: what each drug is (ingredients, ATC code, dose unit and limits, cautions,
  control class);
- `interactions.csv`: drug–drug interaction rules between two sides, each an ingredient
  (`warfarin`, `ingredient:warfarin`) or an ATC prefix (`atc:C09A`);
- `allergy_cross_reactivity.csv`: which drugs an allergen group covers, and how severely;
- `duplicate_therapy_exceptions.csv`: ATC level-4 groups where two drugs together are usual;
- `renal_rules.csv`: per-drug limits by kidney function (eGFR or creatinine clearance);
- `hepatic_rules.csv`: per-drug cautions by hepatic impairment (Child–Pugh class);
- `qt_risk.csv`: drugs' QT-prolongation risk class (the one source of QT pairs: the
  interactions file holds only pairs with another mechanism);
- `combination_components.csv`: each component of a fixed-dose combination with its amount per
  dose unit and its own daily maximum;
- `elderly_pim.csv`: potentially inappropriate medicines for people aged 65 and over (AGS Beers
  Criteria 2023, and the Chinese criteria where they differ).

Loading **fails closed**: a missing or unreadable file, a missing column, an unknown enum value, a
malformed number or too few rows raises `KnowledgeUnavailable`. A prescription must not be signed
on half a knowledge base, so callers let the error stop signing.

The result is an immutable `Knowledge` cached per process and per folder; each `get_knowledge()`
call stats the files and reloads when any of them changed (mtime or size), so an operator's
update is picked up without a restart.

The data-access surface for other layers is `Knowledge` and the entry types (`Drug`,
`InteractionRule`, `AllergyRule`, `RenalRule`, `HepaticRule`, `QtRiskEntry`,
`DrugMatcher`). A model-backed formulary can build the same
objects and pass its own `Knowledge` to `engine.check_prescription`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from django.utils.translation import gettext_lazy

from core.exceptions import DomainError

FORMULARY_FILE = "formulary.csv"

INTERACTIONS_FILE = "interactions.csv"

ALLERGY_FILE = "allergy_cross_reactivity.csv"

DUPLICATE_EXCEPTIONS_FILE = "duplicate_therapy_exceptions.csv"

RENAL_RULES_FILE = "renal_rules.csv"

HEPATIC_RULES_FILE = "hepatic_rules.csv"

QT_RISK_FILE = "qt_risk.csv"

COMPONENTS_FILE = "combination_components.csv"

ELDERLY_FILE = "elderly_pim.csv"

KNOWLEDGE_FILES = (
    FORMULARY_FILE,
    INTERACTIONS_FILE,
    ALLERGY_FILE,
    DUPLICATE_EXCEPTIONS_FILE,
    RENAL_RULES_FILE,
    HEPATIC_RULES_FILE,
    QT_RISK_FILE,
    COMPONENTS_FILE,
    ELDERLY_FILE,
)

# A truncated file (an interrupted copy, a bad merge) still parses; these floors catch it.
# Settings can override them per file (CLINICAL_KNOWLEDGE_MIN_ROWS), e.g. for a small test set.
DEFAULT_MIN_ROWS: Mapping[str, int] = MappingProxyType(
    {
        FORMULARY_FILE: 50,
        INTERACTIONS_FILE: 30,
        ALLERGY_FILE: 5,
        DUPLICATE_EXCEPTIONS_FILE: 0,
        RENAL_RULES_FILE: 20,
        HEPATIC_RULES_FILE: 15,
        QT_RISK_FILE: 15,
        COMPONENTS_FILE: 5,
        ELDERLY_FILE: 15,
    }
)


class KnowledgeUnavailable(DomainError):
    """Decision support cannot run: its knowledge files are missing or invalid.

    Signing is refused until an operator fixes the files; 503 because the fault is ours, not the
    prescriber's, and retrying after the fix works.
    """

    status_code = 503
    code = "decision_support_unavailable"
    public_message = gettext_lazy(
        "Decision support is unavailable: its clinical knowledge could not be loaded. "
        "Try again once an operator has restored it."
    )


class Severity(StrEnum):
    CONTRAINDICATED = "contraindicated"
    MAJOR = "major"
    MODERATE = "moderate"
    MINOR = "minor"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: contraindicated 4 … info 0."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.CONTRAINDICATED: 4,
    Severity.MAJOR: 3,
    Severity.MODERATE: 2,
    Severity.MINOR: 1,
    Severity.INFO: 0,
}

# Rules in the files never say "info": that level is for the engine's own reminders.
RULE_SEVERITIES = frozenset(s.value for s in Severity if s is not Severity.INFO)


class ControlClass(StrEnum):
    NORMAL = "normal"
    NARCOTIC = "narcotic"
    PSYCHOTROPIC_1 = "psychotropic_1"
    PSYCHOTROPIC_2 = "psychotropic_2"
    MEDICAL_TOXIC = "medical_toxic"
    RADIOACTIVE = "radioactive"
    PRECURSOR = "precursor"
    VACCINE = "vaccine"
    BLOOD_PRODUCT = "blood_product"


class Caution(StrEnum):
    """Pregnancy and lactation caution levels in the formulary."""

    NONE = "none"
    CAUTION = "caution"
    AVOID = "avoid"
    CONTRAINDICATED = "contraindicated"


class RenalAction(StrEnum):
    """What a renal rule asks for in its band of kidney function."""

    CONTRAINDICATED = "contraindicated"
    AVOID = "avoid"
    MAX_DAILY_DOSE = "max_daily_dose"  # fires only when the prescribed daily dose exceeds it
    REDUCE_DOSE = "reduce_dose"
    INTERVAL = "interval"
    # Fires only when no recent kidney-function value is on record.
    NEEDS_RECENT_VALUE = "needs_recent_value"


class HepaticImpairment(StrEnum):
    """Recorded hepatic impairment; mild/moderate/severe = Child–Pugh A/B/C."""

    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"

    @property
    def rank(self) -> int:
        return _HEPATIC_RANK[self]


_HEPATIC_RANK = {
    HepaticImpairment.NONE: 0,
    HepaticImpairment.MILD: 1,
    HepaticImpairment.MODERATE: 2,
    HepaticImpairment.SEVERE: 3,
}


class QtRisk(StrEnum):
    """CredibleMeds-style categories of torsades de pointes risk."""

    KNOWN = "known"
    POSSIBLE = "possible"
    CONDITIONAL = "conditional"


class RxClass(StrEnum):
    RX = "rx"
    OTC_A = "otc_a"
    OTC_B = "otc_b"


class InsuranceCategory(StrEnum):
    JIA = "jia"
    YI = "yi"
    BING = "bing"


def normalize_term(text: str) -> str:
    """Case- and space-insensitive form of an ingredient, name or allergen."""
    return " ".join(text.replace("\u3000", " ").split()).casefold()


@dataclass(frozen=True, slots=True)
class DrugMatcher:
    """One side of a rule: an ingredient (INN, lowercase) or an ATC code prefix."""

    kind: str  # "ingredient" or "atc"
    value: str

    @classmethod
    def parse(cls, text: str) -> DrugMatcher:
        """`atc:C09A` → ATC prefix; `ingredient:warfarin` or plain `warfarin` → ingredient."""
        raw = text.strip()
        prefix, sep, rest = raw.partition(":")
        if sep and prefix.strip().lower() == "atc":
            code = rest.strip().upper()
            if not code or not code.isalnum() or not code[0].isalpha():
                raise ValueError(f"bad ATC prefix {raw!r}")
            return cls("atc", code)
        if sep and prefix.strip().lower() == "ingredient":
            raw = rest
        elif sep:
            raise ValueError(f"unknown matcher {raw!r} (use atc:<prefix> or ingredient:<inn>)")
        name = normalize_term(raw)
        if not name:
            raise ValueError("empty matcher")
        return cls("ingredient", name)

    def matches(self, ingredients: Iterable[str], atc_code: str) -> bool:
        if self.kind == "atc":
            return bool(atc_code) and atc_code.upper().startswith(self.value)
        # A salt or ester ("metoprolol tartrate") is the same active moiety as the rule's INN.
        return any(i == self.value or i.startswith(self.value + " ") for i in ingredients)

    def __str__(self) -> str:
        return f"atc:{self.value}" if self.kind == "atc" else self.value


@dataclass(frozen=True, slots=True)
class Drug:
    """A formulary drug as decision support sees it. Doses are in `dose_unit`."""

    code: str
    generic_name_zh: str
    generic_name_en: str
    ingredients: tuple[str, ...]
    atc_code: str
    dose_unit: str
    control_class: ControlClass = ControlClass.NORMAL
    strength: str = ""
    strength_value: Decimal | None = None
    strength_unit: str = ""
    dosage_form: str = ""
    route: str = ""
    pack_size: int | None = None
    pack_unit: str = ""
    rx_class: RxClass = RxClass.RX
    adult_max_daily_dose: Decimal | None = None
    paediatric_max_daily_dose_per_kg: Decimal | None = None
    paediatric_min_age_years: Decimal | None = None
    pregnancy_caution: Caution = Caution.NONE
    lactation_caution: Caution = Caution.NONE
    elderly_caution: str = ""
    paediatric_caution: str = ""
    elderly_caution_zh: str = ""
    paediatric_caution_zh: str = ""
    long_term_allowed: bool = False
    # Taken once a week (low-dose methotrexate, alendronate 70 mg): adult_max_daily_dose then
    # holds the maximum weekly dose, and dosing more often than weekly is itself an error.
    weekly_dosing: bool = False
    # The label's most administrations in a day ("at most once a day" for sildenafil): PRN
    # counts as this many doses instead of the generic four, and a fixed frequency above it
    # is flagged. None: the label sets no count, only the daily dose.
    max_administrations_per_day: int | None = None
    insurance_category: InsuranceCategory | None = None
    national_code: str = ""
    source: str = ""

    @property
    def atc_level4(self) -> str:
        """Chemical subgroup (first 5 characters, e.g. C09AA): the level duplicates compare."""
        return self.atc_code[:5].upper() if len(self.atc_code) >= 5 else ""

    @property
    def label(self) -> str:
        return f"{self.generic_name_en} ({self.code})"


@dataclass(frozen=True, slots=True)
class InteractionRule:
    id: str
    side_a: DrugMatcher
    side_b: DrugMatcher
    severity: Severity
    effect: str
    effect_zh: str
    management: str = ""
    mechanism: str = ""
    management_zh: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class AllergyRule:
    """Patients allergic to `allergen` should not get (or be watched on) drugs `matches` covers.

    `synonyms` are other ways the allergy is recorded ("penicillins", "盘尼西林").
    """

    allergen: str
    allergen_zh: str
    matches: DrugMatcher
    severity: Severity
    note: str = ""
    note_zh: str = ""
    source: str = ""
    synonyms: tuple[str, ...] = ()

    @property
    def rule_id(self) -> str:
        return f"allergy:{normalize_term(self.allergen)}:{self.matches}"

    @property
    def names(self) -> frozenset[str]:
        return frozenset(
            normalize_term(n) for n in (self.allergen, self.allergen_zh, *self.synonyms) if n
        )


@dataclass(frozen=True, slots=True)
class RenalRule:
    """Applies to drugs `matches` covers when kidney function (mL/min: eGFR, or creatinine
    clearance) is below `below` and at least `at_or_above` (either bound may be open)."""

    id: str
    matches: DrugMatcher
    action: RenalAction
    severity: Severity
    advice: str
    advice_zh: str
    below: Decimal | None = None
    at_or_above: Decimal | None = None
    max_daily_dose: Decimal | None = None  # in the drug's dose_unit
    source: str = ""

    def covers(self, value: Decimal) -> bool:
        if self.below is not None and not value < self.below:
            return False
        return self.at_or_above is None or value >= self.at_or_above


@dataclass(frozen=True, slots=True)
class HepaticRule:
    """Applies to drugs `matches` covers from `from_impairment` upwards (mild < moderate <
    severe); for one drug the rule of the highest class reached applies."""

    id: str
    matches: DrugMatcher
    from_impairment: HepaticImpairment
    severity: Severity
    advice: str
    advice_zh: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class QtRiskEntry:
    matches: DrugMatcher
    risk: QtRisk
    source: str = ""


@dataclass(frozen=True, slots=True)
class ComponentLimit:
    """One component of a fixed-dose combination: how much of it one dose unit (tablet,
    capsule) holds, and the most of it a day allows, whatever product it comes from."""

    drug_code: str
    ingredient: str  # as in the drug's ingredients
    ingredient_zh: str
    amount: Decimal  # per dose unit of the product
    unit: str  # mg, µg …
    max_daily_amount: Decimal | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class ElderlyRule:
    """A medicine potentially inappropriate from ELDERLY_AGE_YEARS: why, how severe, what to do
    instead, and where the reference says so. With `only_with_conditions` (ICD-10 prefixes)
    it applies only to patients with one of those conditions on record (drug–disease rules)."""

    id: str
    matches: DrugMatcher
    severity: Severity
    reason: str
    reason_zh: str
    advice: str
    advice_zh: str
    source: str
    only_with_conditions: tuple[str, ...] = ()

    def applies_to(self, conditions: Iterable[str]) -> bool:
        if not self.only_with_conditions:
            return True
        codes = [c.strip().upper().replace(".", "") for c in conditions]
        return any(code.startswith(self.only_with_conditions) for code in codes)


@dataclass(frozen=True, slots=True)
class Knowledge:
    """Everything decision support knows, immutable and safe to share between threads."""

    drugs_by_code: Mapping[str, Drug]
    interactions: tuple[InteractionRule, ...]
    allergy_rules: tuple[AllergyRule, ...]
    # ATC level 4 → why two drugs of that group together are not a duplicate
    duplicate_therapy_exceptions: Mapping[str, str]
    # Hash of the source files, so a signed prescription can record which knowledge checked it.
    version: str = ""
    renal_rules: tuple[RenalRule, ...] = ()
    hepatic_rules: tuple[HepaticRule, ...] = ()
    qt_risks: tuple[QtRiskEntry, ...] = ()
    # drug code → its components, for combinations checked per component
    components: Mapping[str, tuple[ComponentLimit, ...]] = field(default_factory=dict)
    elderly_rules: tuple[ElderlyRule, ...] = ()
    drugs_by_ingredient: Mapping[str, tuple[Drug, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "drugs_by_code", MappingProxyType(dict(self.drugs_by_code)))
        object.__setattr__(self, "components", MappingProxyType(dict(self.components)))
        object.__setattr__(
            self,
            "duplicate_therapy_exceptions",
            MappingProxyType({k.upper(): v for k, v in self.duplicate_therapy_exceptions.items()}),
        )
        by_ingredient: dict[str, list[Drug]] = {}
        for drug in self.drugs_by_code.values():
            for ingredient in drug.ingredients:
                by_ingredient.setdefault(ingredient, []).append(drug)
        object.__setattr__(
            self,
            "drugs_by_ingredient",
            MappingProxyType({k: tuple(v) for k, v in by_ingredient.items()}),
        )

    def drug(self, code: str) -> Drug | None:
        return self.drugs_by_code.get(code.strip())

    def component_by_unit(self, drug: Drug, unit: str) -> ComponentLimit | None:
        """The component a dose unit such as "mg trimethoprim" names, None when it names none."""
        amount_unit, _, name = unit.strip().partition(" ")
        name = normalize_term(name)
        if not name:
            return None
        for component in self.components.get(drug.code, ()):
            if component.unit.casefold() != amount_unit.casefold():
                continue
            if component.ingredient == name or component.ingredient.startswith(name + " "):
                return component
        return None
