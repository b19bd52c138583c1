"""Clinical knowledge for prescription decision support, loaded from the CSV files in one folder.

The folder is `settings.CLINICAL_KNOWLEDGE_DIR` when set, else
`hospital/prescriptions/decision_support/data`. Four files:

- `formulary.csv`: what each drug is (ingredients, ATC code, dose unit and limits, cautions,
  control class);
- `interactions.csv`: drug–drug interaction rules between two sides, each an ingredient
  (`warfarin`, `ingredient:warfarin`) or an ATC prefix (`atc:C09A`);
- `allergy_cross_reactivity.csv`: which drugs an allergen group covers, and how severely;
- `duplicate_therapy_exceptions.csv`: ATC level-4 groups where two drugs together are usual.

Loading **fails closed**: a missing or unreadable file, a missing column, an unknown enum value, a
malformed number or too few rows raises `KnowledgeUnavailable`. A prescription must not be signed
on half a knowledge base, so callers let the error stop signing.

The result is an immutable `Knowledge` cached per process and per folder; each `get_knowledge()`
call stats the four files and reloads when any of them changed (mtime or size), so an operator's
update is picked up without a restart.

The data-access surface for other layers is `Knowledge` and the entry types (`Drug`,
`InteractionRule`, `AllergyRule`, `DrugMatcher`). A model-backed formulary can build the same
objects and pass its own `Knowledge` to `engine.check_prescription`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from core.exceptions import DomainError

FORMULARY_FILE = "formulary.csv"

INTERACTIONS_FILE = "interactions.csv"

ALLERGY_FILE = "allergy_cross_reactivity.csv"

DUPLICATE_EXCEPTIONS_FILE = "duplicate_therapy_exceptions.csv"

KNOWLEDGE_FILES = (FORMULARY_FILE, INTERACTIONS_FILE, ALLERGY_FILE, DUPLICATE_EXCEPTIONS_FILE)

# A truncated file (an interrupted copy, a bad merge) still parses; these floors catch it.
# Settings can override them per file (CLINICAL_KNOWLEDGE_MIN_ROWS), e.g. for a small test set.
DEFAULT_MIN_ROWS: Mapping[str, int] = MappingProxyType(
    {
        FORMULARY_FILE: 50,
        INTERACTIONS_FILE: 30,
        ALLERGY_FILE: 5,
        DUPLICATE_EXCEPTIONS_FILE: 0,
    }
)


class KnowledgeUnavailable(DomainError):
    """Decision support cannot run: its knowledge files are missing or invalid.

    Signing is refused until an operator fixes the files; 503 because the fault is ours, not the
    prescriber's, and retrying after the fix works.
    """

    status_code = 503
    code = "decision_support_unavailable"


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
class Knowledge:
    """Everything decision support knows, immutable and safe to share between threads."""

    drugs_by_code: Mapping[str, Drug]
    interactions: tuple[InteractionRule, ...]
    allergy_rules: tuple[AllergyRule, ...]
    # ATC level 4 → why two drugs of that group together are not a duplicate
    duplicate_therapy_exceptions: Mapping[str, str]
    # Hash of the source files, so a signed prescription can record which knowledge checked it.
    version: str = ""
    drugs_by_ingredient: Mapping[str, tuple[Drug, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "drugs_by_code", MappingProxyType(dict(self.drugs_by_code)))
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
