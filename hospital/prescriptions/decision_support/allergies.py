"""Allergy checks: recorded allergy text matched to ingredients, directly or through a cross-
reacting class."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from hospital.prescriptions.decision_support.facts import Finding, FindingKind, RecordedAllergy
from hospital.prescriptions.decision_support.knowledge import (
    AllergyRule,
    Drug,
    Knowledge,
    Severity,
    normalize_term,
)

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


def allergy_findings(
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
