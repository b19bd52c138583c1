"""Dose checks: frequencies, units and strengths converted to the limit's basis, single, daily and
weekly dose against the formulary limits; the label's most administrations a day (also what PRN
counts as); each component of a fixed-dose combination against its own daily maximum."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from hospital.prescriptions.decision_support.facts import (
    ADULT_AGE_YEARS,
    Finding,
    FindingKind,
    PatientFacts,
    ProposedItem,
    drug_finding,
    format_number,
)
from hospital.prescriptions.decision_support.knowledge import (
    ComponentLimit,
    Drug,
    Knowledge,
    Severity,
)

# PRN ("as needed") has no fixed frequency; unless the drug's label sets its own most
# administrations a day (sildenafil once), the dose check assumes the usual label ceiling of
# four doses a day, so a PRN dose that would exceed the maximum at 4×/day is flagged.
PRN_ASSUMED_DOSES_PER_DAY = Decimal(4)

PRN_CODES = frozenset({"PRN", "必要时"})

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


def is_prn(frequency: str) -> bool:
    return _frequency_code(frequency) in PRN_CODES


def prn_doses_per_day(drug: Drug) -> Decimal:
    """How many doses a day an as-needed order is counted as for this drug."""
    if drug.max_administrations_per_day is not None:
        return Decimal(drug.max_administrations_per_day)
    return PRN_ASSUMED_DOSES_PER_DAY


def drug_frequency_per_day(frequency: str, drug: Drug) -> Decimal:
    """Administrations per day, PRN counted with the drug's own ceiling."""
    if is_prn(frequency):
        return prn_doses_per_day(drug)
    return frequency_per_day(frequency)


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


def is_combination(drug: Drug, kb: Knowledge | None) -> bool:
    """A fixed-dose combination whose components the knowledge lists."""
    return kb is not None and bool(kb.components.get(drug.code))


def dose_in_drug_unit(
    amount: Decimal, unit: str, drug: Drug, kb: Knowledge | None = None
) -> Decimal | None:
    """`amount` of `unit` in the drug's dose unit. For a combination, "mg trimethoprim" (the
    amount of one named component) converts through that component's amount per tablet; a
    bare "mg" says no component and is not converted (see `dose_unit_is_ambiguous`)."""
    if kb is not None and is_combination(drug, kb):
        component = kb.component_by_unit(drug, unit)
        if component is not None:
            amount_unit = unit.strip().partition(" ")[0]
            in_component_unit = _in_unit(amount, amount_unit, component.unit)
            if in_component_unit is None:
                return None
            forms = in_component_unit / component.amount
            return _in_unit(forms, "tablet", drug.dose_unit)
        if dose_unit_is_ambiguous(drug, unit, kb):
            return None
    return convert_dose(amount, unit, drug)


def dose_unit_choices(drug: Drug, kb: Knowledge | None) -> list[str]:
    """The dose units a prescriber may write for this drug: its dose unit and, for a
    combination, the amount of each named component ("mg sulfamethoxazole")."""
    components = kb.components.get(drug.code, ()) if kb is not None else ()
    return [drug.dose_unit, *(f"{c.unit} {c.ingredient}" for c in components)]


def dose_unit_is_ambiguous(drug: Drug, unit: str, kb: Knowledge | None) -> bool:
    """A combination's dose in plain mg (or µg, mL) does not say of which component."""
    if kb is None or not is_combination(drug, kb):
        return False
    if kb.component_by_unit(drug, unit) is not None:
        return False
    dimension = _dimension(unit)
    if dimension is not None and dimension[0] == "count":
        return False
    # the product's own dose unit (e.g. g of a cream) says what it measures
    return _in_unit(Decimal(1), unit, drug.dose_unit) is None


def _dose_finding(
    drug: Drug,
    rule_id: str,
    message: str,
    message_zh: str,
    management: str,
    management_zh: str = "",
) -> Finding:
    return drug_finding(
        drug,
        kind=FindingKind.DOSE_OVER_MAXIMUM,
        severity=Severity.MAJOR,
        message=message,
        message_zh=message_zh,
        management=management,
        management_zh=management_zh,
        rule_id=rule_id,
    )


def dose_findings(
    known: Sequence[tuple[ProposedItem, Drug]],
    patient: PatientFacts,
    kb: Knowledge | None = None,
) -> list[Finding]:
    """Daily dose per drug; two lines of the same drug count together."""
    by_code: dict[str, list[ProposedItem]] = {}
    drugs: dict[str, Drug] = {}
    for item, drug in known:
        by_code.setdefault(drug.code, []).append(item)
        drugs[drug.code] = drug
    findings = []
    for code, drug_items in by_code.items():
        drug = drugs[code]
        daily, problem = _daily_dose(drug, drug_items, kb)
        if problem is not None:
            findings.append(problem)
            continue
        assert daily is not None
        if drug.weekly_dosing:
            findings.extend(_weekly_frequency(drug, drug_items))
        findings.extend(_administrations_over_label(drug, drug_items))
        findings.extend(_dose_against_limit(drug, daily, drug_items, patient))
    return findings


def _daily_dose(
    drug: Drug, drug_items: Sequence[ProposedItem], kb: Knowledge | None = None
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
            per_day = drug_frequency_per_day(item.frequency, drug)
        except ValueError:
            return None, _dose_finding(
                drug,
                "dose.unknown_frequency",
                f"{drug.generic_name_en}: frequency {item.frequency!r} is not recognised, so "
                "the daily dose cannot be checked.",
                f"{drug.generic_name_zh}：无法识别用药频次“{item.frequency}”，无法核对日剂量。",
                "Use a standard frequency code (QD, BID, TID, QID, Q8H, QN, PRN …).",
            )
        if dose_unit_is_ambiguous(drug, item.dose_unit, kb):
            choices = " or ".join(f"“{u}”" for u in dose_unit_choices(drug, kb))
            choices_zh = "或".join(f"“{u}”" for u in dose_unit_choices(drug, kb))
            return None, _dose_finding(
                drug,
                "dose.component_unspecified",
                f"{drug.generic_name_en}: a dose of {format_number(dose)} {item.dose_unit} "
                "does not say of which component of this combination, so it cannot be checked.",
                f"{drug.generic_name_zh}：复方制剂剂量“{format_number(dose)} {item.dose_unit}”"
                "未注明是哪一成分的剂量，无法核对。",
                f"Give the dose as {choices}.",
                f"请以{choices_zh}开具剂量。",
            )
        amount = dose_in_drug_unit(dose, item.dose_unit, drug, kb)
        if amount is None:
            return None, _dose_finding(
                drug,
                "dose.unit_incompatible",
                f"{drug.generic_name_en}: dose unit {item.dose_unit!r} cannot be converted to "
                f"{drug.dose_unit!r}, so the daily dose cannot be checked.",
                f"{drug.generic_name_zh}：剂量单位“{item.dose_unit}”无法换算为“{drug.dose_unit}”，"
                "无法核对日剂量。",
                f"Prescribe the dose in {drug.dose_unit}.",
                f"请以{drug.dose_unit}为单位开具剂量。",
            )
        total += amount * per_day
    return total, None


def _weekly_frequency(drug: Drug, drug_items: Sequence[ProposedItem]) -> list[Finding]:
    """A once-weekly drug given more often: the classic fatal methotrexate error."""
    too_often = [
        i for i in drug_items if drug_frequency_per_day(i.frequency, drug) > FREQUENCY_PER_DAY["QW"]
    ]
    if not too_often:
        return []
    frequencies = ", ".join(i.frequency for i in too_often)
    return [
        drug_finding(
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
    how = " + ".join(
        f"{format_number(Decimal(i.dose))} {i.dose_unit} {i.frequency}" for i in drug_items
    )
    if any(is_prn(i.frequency) for i in drug_items):
        how += f" (PRN counted as up to {prn_doses_per_day(drug)} doses a day)"
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
                    f"the dose limit is {format_number(per_kg)} {unit}/kg {period_en}.",
                    f"{drug.generic_name_zh}：患者为儿童且未记录体重，无法按体重"
                    f"（{period_zh} {format_number(per_kg)} {unit}/kg）核对剂量。",
                    "Record the child's weight and check the dose per kg.",
                )
            )
        else:
            by_weight = per_kg * Decimal(weight)
            if adult_max is None or by_weight < adult_max:
                limit = by_weight
                per_kg_text, weight_text = format_number(per_kg), format_number(weight)
                basis_en = f"paediatric maximum ({per_kg_text} {unit}/kg × {weight_text} kg)"
                basis_zh = f"儿童{period_zh}最大剂量（{per_kg_text} {unit}/kg × {weight_text} kg）"
    if limit is not None and daily > limit:
        findings.append(
            _dose_finding(
                drug,
                "dose.daily_maximum",
                f"{drug.generic_name_en}: {format_number(daily)} {unit} {period_en} ({how}) "
                f"exceeds the {basis_en} of {format_number(limit)} {unit} {period_en}.",
                f"{drug.generic_name_zh}：{period_zh}剂量 {format_number(daily)} {unit}"
                f"（{how}）超过{basis_zh} {format_number(limit)} {unit}。",
                "Reduce the dose or the frequency.",
            )
        )
    return findings


def daily_dose(
    drug: Drug, drug_items: Sequence[ProposedItem], kb: Knowledge | None = None
) -> Decimal | None:
    """The drug's total daily dose in its dose_unit; None when it cannot be worked out (the dose
    check already reports why)."""
    daily, _problem = _daily_dose(drug, drug_items, kb)
    return daily


def _administrations_over_label(drug: Drug, drug_items: Sequence[ProposedItem]) -> list[Finding]:
    """A fixed frequency above the label's most administrations a day ("sildenafil BID"), even
    when the daily amount is within the maximum: the label limits how often, not only how much.
    Moderate: the daily dose check reports an amount over the maximum as major."""
    limit = drug.max_administrations_per_day
    if limit is None:
        return []
    total = sum(
        (frequency_per_day(i.frequency) for i in drug_items if not is_prn(i.frequency)),
        Decimal(0),
    )
    if total <= limit:
        return []
    frequencies = " + ".join(i.frequency for i in drug_items if not is_prn(i.frequency))
    return [
        drug_finding(
            drug,
            kind=FindingKind.DOSE_OVER_MAXIMUM,
            severity=Severity.MODERATE,
            message=(
                f"{drug.generic_name_en}: prescribed {frequencies} ({format_number(total)} times "
                f"a day); the label allows at most {limit} a day."
            ),
            message_zh=(
                f"{drug.generic_name_zh}：处方频次{frequencies}（每日{format_number(total)}次），"
                f"说明书规定每日最多{limit}次。"
            ),
            management="Give it no more often than the label allows.",
            rule_id="dose.administrations_per_day",
        )
    ]


def _component_daily_amount(
    component: ComponentLimit, item: ProposedItem, drug: Drug, kb: Knowledge
) -> Decimal | None:
    """How much of the component this line gives a day, in the component's unit."""
    forms_per_day = daily_dose(drug, [item], kb)
    if forms_per_day is None:
        return None
    forms = _in_unit(forms_per_day, drug.dose_unit, "tablet")
    return None if forms is None else forms * component.amount


def _single_ingredient_daily_amount(
    ingredient: str, unit: str, item: ProposedItem, drug: Drug
) -> Decimal | None:
    """How much of `ingredient` a single-ingredient drug's line gives a day, in `unit`."""
    if len(drug.ingredients) != 1 or drug.ingredients[0] != ingredient:
        return None
    daily = daily_dose(drug, [item])
    if daily is None:
        return None
    direct = _in_unit(daily, drug.dose_unit, unit)
    if direct is not None:
        return direct
    if drug.strength_value is None:
        return None
    active = convert_dose(Decimal(1), drug.dose_unit, replace(drug, dose_unit=drug.strength_unit))
    return None if active is None else _in_unit(daily * active, drug.strength_unit, unit)


def component_findings(known: Sequence[tuple[ProposedItem, Drug]], kb: Knowledge) -> list[Finding]:
    """Each component of the prescribed combinations against its own daily maximum, adding what
    other lines give of the same ingredient (paracetamol in a cold remedy and in tablets)."""
    limits: dict[str, ComponentLimit] = {}
    for _item, drug in known:
        for component in kb.components.get(drug.code, ()):
            if component.max_daily_amount is None:
                continue
            held = limits.get(component.ingredient)
            if held is None or component.max_daily_amount < (held.max_daily_amount or 0):
                limits[component.ingredient] = component
    findings = []
    for ingredient, limit in limits.items():
        assert limit.max_daily_amount is not None
        total = Decimal(0)
        parts: list[tuple[Drug, Decimal]] = []
        for item, drug in known:
            part = next(
                (c for c in kb.components.get(drug.code, ()) if c.ingredient == ingredient), None
            )
            if part is not None:
                amount = _component_daily_amount(part, item, drug, kb)
                if amount is not None and part.unit != limit.unit:
                    amount = _in_unit(amount, part.unit, limit.unit)
            else:
                amount = _single_ingredient_daily_amount(ingredient, limit.unit, item, drug)
            if amount is not None:
                total += amount
                parts.append((drug, amount))
        if total <= limit.max_daily_amount:
            continue
        unit = limit.unit
        how_en = " + ".join(f"{format_number(a)} {unit} from {d.generic_name_en}" for d, a in parts)
        how_zh = " + ".join(f"{d.generic_name_zh} {format_number(a)} {unit}" for d, a in parts)
        ceiling = f"{format_number(limit.max_daily_amount)} {unit}"
        findings.append(
            Finding(
                kind=FindingKind.DOSE_OVER_MAXIMUM,
                severity=Severity.MAJOR,
                drug_codes=tuple(sorted({d.code for d, _ in parts})),
                message=(
                    f"{ingredient}: {format_number(total)} {unit} a day ({how_en}) exceeds its "
                    f"own maximum of {ceiling} a day."
                ),
                message_zh=(
                    f"{limit.ingredient_zh}：每日{format_number(total)} {unit}（{how_zh}），"
                    f"超过该成分每日最大剂量{ceiling}。"
                ),
                management="Reduce the dose so that each component stays within its maximum.",
                source=limit.source,
                rule_id=f"dose.component_maximum:{ingredient}",
            )
        )
    return findings
