"""Reading the knowledge files (CSV, sourced and checked row by row) into a Knowledge, cached until
a file changes."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings

from hospital.prescriptions.decision_support.knowledge import (
    ALLERGY_FILE,
    COMPONENTS_FILE,
    DEFAULT_MIN_ROWS,
    DUPLICATE_EXCEPTIONS_FILE,
    ELDERLY_FILE,
    FORMULARY_FILE,
    HEPATIC_RULES_FILE,
    INTERACTIONS_FILE,
    KNOWLEDGE_FILES,
    QT_RISK_FILE,
    RENAL_RULES_FILE,
    RULE_SEVERITIES,
    AllergyRule,
    Caution,
    ComponentLimit,
    ControlClass,
    Drug,
    DrugMatcher,
    ElderlyRule,
    HepaticImpairment,
    HepaticRule,
    InsuranceCategory,
    InteractionRule,
    Knowledge,
    KnowledgeUnavailable,
    QtRisk,
    QtRiskEntry,
    RenalAction,
    RenalRule,
    RxClass,
    Severity,
    normalize_term,
)

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
    "elderly_caution_zh",
    "paediatric_caution_zh",
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
    "management_zh",
    "mechanism",
    "source",
)

ALLERGY_COLUMNS = ("allergen", "allergen_zh", "matches", "severity", "note", "note_zh", "source")

DUPLICATE_EXCEPTION_COLUMNS = ("atc_level4", "reason")

RENAL_RULE_COLUMNS = (
    "id",
    "matches",
    "below",
    "at_or_above",
    "action",
    "max_daily_dose",
    "severity",
    "advice",
    "advice_zh",
    "source",
)

HEPATIC_RULE_COLUMNS = (
    "id",
    "matches",
    "from_impairment",
    "severity",
    "advice",
    "advice_zh",
    "source",
)

QT_RISK_COLUMNS = ("matches", "risk", "source")

COMPONENT_COLUMNS = (
    "drug_code",
    "ingredient",
    "ingredient_zh",
    "amount",
    "unit",
    "max_daily_amount",
    "source",
)

ELDERLY_COLUMNS = (
    "id",
    "matches",
    "only_with_conditions",
    "severity",
    "reason",
    "reason_zh",
    "advice",
    "advice_zh",
    "source",
)

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


def _translation(row: Mapping[str, str], column: str) -> str:
    """The `<column>_zh` text: required wherever the English one is given, since a reader of a
    Chinese page would otherwise be shown the English."""
    text = (row.get(f"{column}_zh") or "").strip()
    if row[column].strip() and not text:
        raise _RowError(f"{column}_zh: missing the Chinese of {column!r}")
    return text


def _whole_number(value: str, column: str) -> int | None:
    number = _decimal(value, column)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise _RowError(f"{column}: must be a whole number")
    return int(number)


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
        elderly_caution_zh=_translation(row, "elderly_caution"),
        paediatric_caution_zh=_translation(row, "paediatric_caution"),
        long_term_allowed=_bool(row["long_term_allowed"], "long_term_allowed"),
        # The files mark once-weekly products in the optional notes column (see data/README.md).
        weekly_dosing="once weekly" in (row.get("notes") or "").lower(),
        max_administrations_per_day=_whole_number(
            row.get("max_administrations_per_day") or "", "max_administrations_per_day"
        ),
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
        management_zh=_translation(row, "management"),
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


def _matcher(row: Mapping[str, str], column: str) -> DrugMatcher:
    try:
        return DrugMatcher.parse(_required(row, column))
    except ValueError as exc:
        raise _RowError(str(exc)) from None


def _rule_severity(row: Mapping[str, str]) -> Severity:
    severity = _enum(Severity, row["severity"], "severity")
    if severity.value not in RULE_SEVERITIES:
        raise _RowError(f"severity: {severity.value!r} is not allowed in a rule")
    return severity


def renal_rule_from_row(row: Mapping[str, str]) -> RenalRule:
    action = _enum(RenalAction, row["action"], "action")
    below = _decimal(row["below"], "below")
    at_or_above = _decimal(row["at_or_above"], "at_or_above", positive=False)
    limit = _decimal(row["max_daily_dose"], "max_daily_dose")
    if action is RenalAction.NEEDS_RECENT_VALUE:
        if below is not None or at_or_above is not None:
            raise _RowError("below/at_or_above: a needs_recent_value rule has no band")
    elif below is None:
        raise _RowError("below: required (the kidney function below which the rule applies)")
    if below is not None and at_or_above is not None and at_or_above >= below:
        raise _RowError("at_or_above: must be lower than below")
    if (action is RenalAction.MAX_DAILY_DOSE) != (limit is not None):
        raise _RowError("max_daily_dose: required for, and only for, action max_daily_dose")
    return RenalRule(
        id=_required(row, "id"),
        matches=_matcher(row, "matches"),
        action=action,
        severity=_rule_severity(row),
        advice=_required(row, "advice"),
        advice_zh=_required(row, "advice_zh"),
        below=below,
        at_or_above=at_or_above,
        max_daily_dose=limit,
        source=_required(row, "source"),
    )


def hepatic_rule_from_row(row: Mapping[str, str]) -> HepaticRule:
    impairment = _enum(HepaticImpairment, row["from_impairment"], "from_impairment")
    if impairment is HepaticImpairment.NONE:
        raise _RowError("from_impairment: mild, moderate or severe")
    return HepaticRule(
        id=_required(row, "id"),
        matches=_matcher(row, "matches"),
        from_impairment=impairment,
        severity=_rule_severity(row),
        advice=_required(row, "advice"),
        advice_zh=_required(row, "advice_zh"),
        source=_required(row, "source"),
    )


def qt_risk_from_row(row: Mapping[str, str]) -> QtRiskEntry:
    return QtRiskEntry(
        matches=_matcher(row, "matches"),
        risk=_enum(QtRisk, row["risk"], "risk"),
        source=_required(row, "source"),
    )


def component_from_row(row: Mapping[str, str]) -> ComponentLimit:
    amount = _decimal(row["amount"], "amount")
    if amount is None:
        raise _RowError("amount: required")
    ingredient = normalize_term(_required(row, "ingredient"))
    unit = _required(row, "unit")
    if " " in unit:
        raise _RowError(f"unit: one word (mg, µg), got {unit!r}")
    return ComponentLimit(
        drug_code=_required(row, "drug_code"),
        ingredient=ingredient,
        ingredient_zh=_required(row, "ingredient_zh"),
        amount=amount,
        unit=unit,
        max_daily_amount=_decimal(row["max_daily_amount"], "max_daily_amount"),
        source=_required(row, "source"),
    )


def elderly_rule_from_row(row: Mapping[str, str]) -> ElderlyRule:
    conditions = tuple(
        c.strip().upper().replace(".", "")
        for c in row["only_with_conditions"].split(";")
        if c.strip()
    )
    for code in conditions:
        if not code[:1].isalpha() or not code.isalnum():
            raise _RowError(f"only_with_conditions: not an ICD-10 prefix: {code!r}")
    return ElderlyRule(
        id=_required(row, "id"),
        matches=_matcher(row, "matches"),
        severity=_rule_severity(row),
        reason=_required(row, "reason"),
        reason_zh=_required(row, "reason_zh"),
        advice=_required(row, "advice"),
        advice_zh=_required(row, "advice_zh"),
        source=_required(row, "source"),
        only_with_conditions=conditions,
    )


def _check_components(
    components: Iterable[ComponentLimit], drugs_by_code: Mapping[str, Drug]
) -> dict[str, tuple[ComponentLimit, ...]]:
    """Each component names a formulary combination and one of its ingredients, once."""
    by_drug: dict[str, list[ComponentLimit]] = {}
    for component in components:
        drug = drugs_by_code.get(component.drug_code)
        if drug is None:
            raise KnowledgeUnavailable(
                f"{COMPONENTS_FILE}: {component.drug_code!r} is not in the formulary"
            )
        if component.ingredient not in drug.ingredients:
            raise KnowledgeUnavailable(
                f"{COMPONENTS_FILE}: {component.ingredient!r} is not an ingredient of "
                f"{component.drug_code!r}"
            )
        listed = by_drug.setdefault(component.drug_code, [])
        if any(c.ingredient == component.ingredient for c in listed):
            raise KnowledgeUnavailable(
                f"{COMPONENTS_FILE}: duplicate component {component.ingredient!r} of "
                f"{component.drug_code!r}"
            )
        listed.append(component)
    return {code: tuple(listed) for code, listed in by_drug.items()}


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
    """Read and validate the files in `directory` (uncached); raises KnowledgeUnavailable."""
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
    renal_rules = _read_rows(
        folder / RENAL_RULES_FILE,
        RENAL_RULE_COLUMNS,
        renal_rule_from_row,
        minimum[RENAL_RULES_FILE],
        digest.update,
    )
    hepatic_rules = _read_rows(
        folder / HEPATIC_RULES_FILE,
        HEPATIC_RULE_COLUMNS,
        hepatic_rule_from_row,
        minimum[HEPATIC_RULES_FILE],
        digest.update,
    )
    qt_risks = _read_rows(
        folder / QT_RISK_FILE,
        QT_RISK_COLUMNS,
        qt_risk_from_row,
        minimum[QT_RISK_FILE],
        digest.update,
    )
    components = _read_rows(
        folder / COMPONENTS_FILE,
        COMPONENT_COLUMNS,
        component_from_row,
        minimum[COMPONENTS_FILE],
        digest.update,
    )
    elderly_rules = _read_rows(
        folder / ELDERLY_FILE,
        ELDERLY_COLUMNS,
        elderly_rule_from_row,
        minimum[ELDERLY_FILE],
        digest.update,
    )
    _check_unique(FORMULARY_FILE, (d.code for d in drugs), "code")
    _check_unique(ELDERLY_FILE, (r.id for r in elderly_rules), "id")
    _check_unique(RENAL_RULES_FILE, (r.id for r in renal_rules), "id")
    _check_unique(HEPATIC_RULES_FILE, (r.id for r in hepatic_rules), "id")
    _check_unique(QT_RISK_FILE, (str(q.matches) for q in qt_risks), "drug")
    _check_unique(INTERACTIONS_FILE, (r.id for r in interactions), "id")
    _check_unique(DUPLICATE_EXCEPTIONS_FILE, (code for code, _ in exceptions), "atc_level4")
    return Knowledge(
        drugs_by_code={d.code: d for d in drugs},
        interactions=tuple(interactions),
        allergy_rules=tuple(allergy_rules),
        duplicate_therapy_exceptions=dict(exceptions),
        version=digest.hexdigest()[:16],
        renal_rules=tuple(renal_rules),
        hepatic_rules=tuple(hepatic_rules),
        qt_risks=tuple(qt_risks),
        components=_check_components(components, {d.code: d for d in drugs}),
        elderly_rules=tuple(elderly_rules),
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
