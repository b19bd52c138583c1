"""Clinical knowledge for prescription decision support, loaded from the CSV files in one folder.

The folder is `settings.CLINICAL_KNOWLEDGE_DIR` when set, else `hospital/data`. Four files:

- `formulary.csv`: what each drug is (ingredients, ATC code, dose unit and limits, cautions,
  control class);
- `interactions.csv`: drug–drug interaction rules between two sides, each an ingredient
  (`warfarin`, `ingredient:warfarin`) or an ATC prefix (`atc:C09A`);
- `allergy_cross_reactivity.csv`: which drugs an allergen group covers, and how severely;
- `duplicate_therapy_exceptions.csv`: ATC level-4 groups where two drugs together are usual.

Loading **fails closed**: a missing or unreadable file, a missing column, an unknown enum value,
a malformed number or too few rows raises `KnowledgeUnavailable`. A prescription must not be
signed on half a knowledge base, so callers let the error stop signing.

The result is an immutable `Knowledge` cached per process and per folder; each `get_knowledge()`
call stats the four files and reloads when any of them changed (mtime or size), so an operator's
update is picked up without a restart.

The data-access surface for other layers is `Knowledge` and the entry types (`Drug`,
`InteractionRule`, `AllergyRule`, `DrugMatcher`). A model-backed formulary can build the same
objects and pass its own `Knowledge` to `hospital.decision_support.check_prescription`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from django.conf import settings

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


# --- parsing ---------------------------------------------------------------------------------

FORMULARY_COLUMNS = (
    "code",
    "generic_name_zh",
    "generic_name_en",
    "ingredients",
    "atc_code",
    "strength",
    "strength_value",
    "strength_unit",
    "dosage_form",
    "route",
    "dose_unit",
    "pack_size",
    "pack_unit",
    "rx_class",
    "control_class",
    "adult_max_daily_dose",
    "paediatric_max_daily_dose_per_kg",
    "paediatric_min_age_years",
    "pregnancy_caution",
    "lactation_caution",
    "elderly_caution",
    "paediatric_caution",
    "long_term_allowed",
    "insurance_category",
    "national_code",
    "source",
)
INTERACTION_COLUMNS = (
    "id",
    "side_a",
    "side_b",
    "severity",
    "effect",
    "effect_zh",
    "management",
    "mechanism",
    "source",
)
ALLERGY_COLUMNS = ("allergen", "allergen_zh", "matches", "severity", "note", "note_zh", "source")
DUPLICATE_EXCEPTION_COLUMNS = ("atc_level4", "reason")

_E = TypeVar("_E", bound=StrEnum)
_T = TypeVar("_T")


class _RowError(ValueError):
    pass


def _enum(enum_type: type[_E], value: str, column: str, *, blank: _E | None = None) -> _E:
    text = value.strip().lower()
    if not text and blank is not None:
        return blank
    try:
        return enum_type(text)
    except ValueError:
        allowed = ", ".join(e.value for e in enum_type)
        raise _RowError(f"{column}: unknown value {value!r} (allowed: {allowed})") from None


def _decimal(value: str, column: str, *, positive: bool = True) -> Decimal | None:
    text = value.strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _RowError(f"{column}: not a number: {value!r}") from None
    if not number.is_finite() or number < 0 or (positive and number == 0):
        raise _RowError(f"{column}: must be a {'positive' if positive else 'non-negative'} number")
    return number


def _required(row: Mapping[str, str], column: str) -> str:
    text = row[column].strip()
    if not text:
        raise _RowError(f"{column}: required")
    return text


def _bool(value: str, column: str) -> bool:
    text = value.strip().lower()
    if text in {"true", "yes", "1"}:
        return True
    if text in {"false", "no", "0", ""}:
        return False
    raise _RowError(f"{column}: expected true or false, got {value!r}")


def drug_from_row(row: Mapping[str, str]) -> Drug:
    """One formulary row (column names as in formulary.csv) → `Drug`; raises ValueError."""
    ingredients = tuple(
        normalize_term(i) for i in row["ingredients"].split(";") if normalize_term(i)
    )
    if not ingredients:
        raise _RowError("ingredients: at least one required")
    atc_code = _required(row, "atc_code").upper()
    if not atc_code.isalnum() or not atc_code[0].isalpha():
        raise _RowError(f"atc_code: malformed {atc_code!r}")
    pack_size = _decimal(row["pack_size"], "pack_size")
    if pack_size is not None and pack_size != pack_size.to_integral_value():
        raise _RowError("pack_size: must be a whole number")
    category = row["insurance_category"].strip()
    return Drug(
        code=_required(row, "code"),
        generic_name_zh=_required(row, "generic_name_zh"),
        generic_name_en=_required(row, "generic_name_en"),
        ingredients=ingredients,
        atc_code=atc_code,
        dose_unit=_required(row, "dose_unit"),
        control_class=_enum(ControlClass, row["control_class"], "control_class"),
        strength=row["strength"].strip(),
        strength_value=_decimal(row["strength_value"], "strength_value"),
        strength_unit=row["strength_unit"].strip(),
        dosage_form=row["dosage_form"].strip(),
        route=row["route"].strip(),
        pack_size=int(pack_size) if pack_size is not None else None,
        pack_unit=row["pack_unit"].strip(),
        rx_class=_enum(RxClass, row["rx_class"], "rx_class"),
        adult_max_daily_dose=_decimal(row["adult_max_daily_dose"], "adult_max_daily_dose"),
        paediatric_max_daily_dose_per_kg=_decimal(
            row["paediatric_max_daily_dose_per_kg"], "paediatric_max_daily_dose_per_kg"
        ),
        paediatric_min_age_years=_decimal(
            row["paediatric_min_age_years"], "paediatric_min_age_years", positive=False
        ),
        pregnancy_caution=_enum(
            Caution, row["pregnancy_caution"], "pregnancy_caution", blank=Caution.NONE
        ),
        lactation_caution=_enum(
            Caution, row["lactation_caution"], "lactation_caution", blank=Caution.NONE
        ),
        elderly_caution=row["elderly_caution"].strip(),
        paediatric_caution=row["paediatric_caution"].strip(),
        long_term_allowed=_bool(row["long_term_allowed"], "long_term_allowed"),
        # The files mark once-weekly products in the optional notes column (see data/README.md).
        weekly_dosing="once weekly" in (row.get("notes") or "").lower(),
        insurance_category=(
            _enum(InsuranceCategory, category, "insurance_category") if category else None
        ),
        national_code=row["national_code"].strip(),
        source=row["source"].strip(),
    )


def interaction_from_row(row: Mapping[str, str]) -> InteractionRule:
    try:
        side_a = DrugMatcher.parse(_required(row, "side_a"))
        side_b = DrugMatcher.parse(_required(row, "side_b"))
    except ValueError as exc:
        raise _RowError(str(exc)) from None
    severity = _enum(Severity, row["severity"], "severity")
    if severity.value not in RULE_SEVERITIES:
        raise _RowError(f"severity: {severity.value!r} is not allowed in a rule")
    return InteractionRule(
        id=_required(row, "id"),
        side_a=side_a,
        side_b=side_b,
        severity=severity,
        effect=_required(row, "effect"),
        effect_zh=_required(row, "effect_zh"),
        management=row["management"].strip(),
        mechanism=row["mechanism"].strip(),
        source=row["source"].strip(),
    )


def allergy_rule_from_row(row: Mapping[str, str]) -> AllergyRule:
    try:
        matches = DrugMatcher.parse(_required(row, "matches"))
    except ValueError as exc:
        raise _RowError(str(exc)) from None
    severity = _enum(Severity, row["severity"], "severity")
    if severity.value not in RULE_SEVERITIES:
        raise _RowError(f"severity: {severity.value!r} is not allowed in a rule")
    # synonyms is optional: semicolon-separated other spellings of the allergen
    synonyms = tuple(s.strip() for s in (row.get("synonyms") or "").split(";") if s.strip())
    return AllergyRule(
        allergen=_required(row, "allergen"),
        allergen_zh=row["allergen_zh"].strip(),
        matches=matches,
        severity=severity,
        note=row["note"].strip(),
        note_zh=row["note_zh"].strip(),
        source=row["source"].strip(),
        synonyms=synonyms,
    )


def _read_rows(
    path: Path,
    columns: tuple[str, ...],
    parse: Callable[[Mapping[str, str]], _T],
    min_rows: int,
    fingerprint: Callable[[bytes], object],
) -> list[_T]:
    """Parse one file; its name and bytes go to `fingerprint`, so the version is of what was
    read, not of a file replaced since."""
    try:
        content = path.read_bytes()
        fingerprint(path.name.encode())
        fingerprint(content)
        with io.StringIO(content.decode("utf-8-sig"), newline="") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in columns if c not in header]
            if missing:
                raise KnowledgeUnavailable(f"{path.name}: missing column(s) {', '.join(missing)}")
            reader.fieldnames = header
            parsed: list[_T] = []
            for row in reader:
                # Comment rows ("# ...") let curators annotate the files.
                first = row.get(header[0]) or ""
                if first.lstrip().startswith("#"):
                    continue
                if None in row or any(row.get(c) is None for c in columns):
                    raise KnowledgeUnavailable(
                        f"{path.name} line {reader.line_num}: wrong number of fields"
                    )
                try:
                    parsed.append(parse(row))
                except (ValueError, KeyError) as exc:
                    raise KnowledgeUnavailable(
                        f"{path.name} line {reader.line_num}: {exc}"
                    ) from None
    except KnowledgeUnavailable:
        raise
    except FileNotFoundError:
        raise KnowledgeUnavailable(f"{path.name}: file missing in {path.parent}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise KnowledgeUnavailable(f"{path.name}: unreadable ({exc})") from None
    if len(parsed) < min_rows:
        raise KnowledgeUnavailable(
            f"{path.name}: only {len(parsed)} rows, expected at least {min_rows}"
        )
    return parsed


def _check_unique(path_name: str, keys: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise KnowledgeUnavailable(f"{path_name}: duplicate {what} {key!r}")
        seen.add(key)


def knowledge_dir() -> Path:
    configured = getattr(settings, "CLINICAL_KNOWLEDGE_DIR", None)
    return Path(configured) if configured else Path(__file__).resolve().parent / "data"


def _min_rows() -> dict[str, int]:
    overrides: Mapping[str, Any] = getattr(settings, "CLINICAL_KNOWLEDGE_MIN_ROWS", None) or {}
    return {**DEFAULT_MIN_ROWS, **{k: int(v) for k, v in overrides.items()}}


def load_knowledge(directory: Path | str) -> Knowledge:
    """Read and validate the four files in `directory` (uncached); raises KnowledgeUnavailable."""
    folder = Path(directory)
    minimum = _min_rows()
    digest = hashlib.sha256()
    drugs = _read_rows(
        folder / FORMULARY_FILE,
        FORMULARY_COLUMNS,
        drug_from_row,
        minimum[FORMULARY_FILE],
        digest.update,
    )
    interactions = _read_rows(
        folder / INTERACTIONS_FILE,
        INTERACTION_COLUMNS,
        interaction_from_row,
        minimum[INTERACTIONS_FILE],
        digest.update,
    )
    allergy_rules = _read_rows(
        folder / ALLERGY_FILE,
        ALLERGY_COLUMNS,
        allergy_rule_from_row,
        minimum[ALLERGY_FILE],
        digest.update,
    )
    exceptions = _read_rows(
        folder / DUPLICATE_EXCEPTIONS_FILE,
        DUPLICATE_EXCEPTION_COLUMNS,
        _duplicate_exception_from_row,
        minimum[DUPLICATE_EXCEPTIONS_FILE],
        digest.update,
    )
    _check_unique(FORMULARY_FILE, (d.code for d in drugs), "code")
    _check_unique(INTERACTIONS_FILE, (r.id for r in interactions), "id")
    _check_unique(DUPLICATE_EXCEPTIONS_FILE, (code for code, _ in exceptions), "atc_level4")
    return Knowledge(
        drugs_by_code={d.code: d for d in drugs},
        interactions=tuple(interactions),
        allergy_rules=tuple(allergy_rules),
        duplicate_therapy_exceptions=dict(exceptions),
        version=digest.hexdigest()[:16],
    )


def _duplicate_exception_from_row(row: Mapping[str, str]) -> tuple[str, str]:
    group = _required(row, "atc_level4").upper()
    if len(group) != 5 or not group.isalnum():
        raise _RowError(f"atc_level4: expected 5 characters (e.g. B01AC), got {group!r}")
    return group, row["reason"].strip()


_cache_lock = threading.Lock()
# folder → (file stamps and row floors it was validated with, knowledge)
_cache: dict[Path, tuple[object, Knowledge]] = {}


def _stamp(folder: Path) -> tuple[tuple[int, int], ...]:
    stamps = []
    for name in KNOWLEDGE_FILES:
        try:
            stat = (folder / name).stat()
        except OSError:
            raise KnowledgeUnavailable(f"{name}: file missing in {folder}") from None
        stamps.append((stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


def get_knowledge() -> Knowledge:
    """The current knowledge for the configured folder, reloaded when a file changed.

    A file that turns bad after a good load is not papered over with the old copy: every call
    then raises KnowledgeUnavailable until the files are fixed.
    """
    folder = knowledge_dir().resolve()
    stamp = (_stamp(folder), tuple(sorted(_min_rows().items())))
    cached = _cache.get(folder)
    if cached and cached[0] == stamp:
        return cached[1]
    with _cache_lock:
        cached = _cache.get(folder)
        if cached and cached[0] == stamp:
            return cached[1]
        knowledge = load_knowledge(folder)
        # The stamp was taken before reading: a file that changes mid-read differs from it at
        # the next call, which reloads.
        _cache[folder] = (stamp, knowledge)
        return knowledge
