"""Drug–drug interactions and duplicate therapy among the proposed and current medicines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hospital.prescriptions.decision_support.facts import (
    Finding,
    FindingKind,
    Medicine,
    ProposedItem,
    medicine_codes,
    medicine_describe,
    proposed_medicine,
)
from hospital.prescriptions.decision_support.knowledge import (
    Drug,
    InteractionRule,
    Knowledge,
    Severity,
)

# Classes where two different members together add toxicity (bleeding, GI and kidney injury):
# a duplicate here is major, and it is one across the class's level-4 subgroups too
# (ibuprofen M01AE with diclofenac M01AB; warfarin B01AA with rivaroxaban B01AF).
HIGH_RISK_DUPLICATE_CLASSES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("systemic NSAIDs", "非甾体抗炎药", ("M01A",)),
    ("anticoagulants", "抗凝药", ("B01AA", "B01AB", "B01AE", "B01AF")),
)


def interaction_findings(
    proposed: Sequence[Medicine],
    active: Sequence[Medicine],
    rules: Sequence[InteractionRule],
) -> list[Finding]:
    pairs: dict[frozenset[str], tuple[Medicine, Medicine]] = {}
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
        first_en, first_zh = medicine_describe(first)
        second_en, second_zh = medicine_describe(second)
        findings.append(
            Finding(
                kind=FindingKind.INTERACTION,
                severity=rule.severity,
                drug_codes=medicine_codes(first, second),
                message=f"{first_en} + {second_en}: {rule.effect}",
                message_zh=f"{first_zh} + {second_zh}：{rule.effect_zh}",
                management=rule.management,
                management_zh=rule.management_zh,
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


def duplicate_findings(
    known: Sequence[tuple[ProposedItem, Drug]], active: Sequence[Medicine], kb: Knowledge
) -> list[Finding]:
    lines = [proposed_medicine(drug) for _, drug in known]
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


def _in_class(medicine: Medicine, prefixes: tuple[str, ...]) -> bool:
    return medicine.atc_code.upper().startswith(prefixes)


def _duplicate(first: Medicine, second: Medicine, kb: Knowledge) -> Finding | None:
    first_en, first_zh = medicine_describe(first)
    second_en, second_zh = medicine_describe(second)
    shared = sorted(first.ingredients & second.ingredients)
    if first.identity == second.identity and second.proposed:
        return Finding(
            kind=FindingKind.DUPLICATE_THERAPY,
            severity=Severity.MAJOR,
            drug_codes=medicine_codes(first),
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
            drug_codes=medicine_codes(first, second),
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
            drug_codes=medicine_codes(first, second),
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
                drug_codes=medicine_codes(first, second),
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
            drug_codes=medicine_codes(first, second),
            message=f"{first_en} and {second_en} are in the same therapeutic group ({group}).",
            message_zh=f"{first_zh}与{second_zh}属于同一类药物（{group}），重复用药。",
            management="Use one drug of this group unless the combination is intended.",
            source="ATC classification",
            rule_id=f"duplicate.atc:{group}",
        )
    return None
