"""Decision support for a prescription: the patient's facts from the record, the engine's findings
stored on the prescription."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile
from core.exceptions import DomainError
from hospital.icd10 import icd10_normalize
from hospital.prescriptions.decision_support.doses import (
    dose_in_drug_unit,
    dose_unit_choices,
    dose_unit_is_ambiguous,
)
from hospital.prescriptions.decision_support.engine import check_prescription
from hospital.prescriptions.decision_support.facts import (
    ActiveMedication,
    Finding,
    LabValue,
    PatientFacts,
    ProposedItem,
    RecordedAllergy,
    highest_severity,
)
from hospital.prescriptions.decision_support.knowledge import (
    Drug,
    KnowledgeUnavailable,
    Severity,
)
from hospital.prescriptions.models import (
    FormularyDrug,
    Prescription,
    PrescriptionFinding,
    PrescriptionItem,
)
from hospital.records.models import ClinicalProfile, Condition, Reading
from hospital.records.selectors import prescribing_facts

# Prescriptions whose items the patient is (or will be) taking: another one of these is an
# active medication for decision support.
CURRENT_STATUSES = (Prescription.Status.PENDING_REVIEW, Prescription.Status.APPROVED)


@dataclass(frozen=True)
class DecisionSupportResult:
    available: bool
    findings: list[Finding]
    knowledge_version: str = ""
    unavailable_reason: str = ""


def knowledge_drug(drug: FormularyDrug) -> Drug:
    """Enough of the drug for unit arithmetic (strength and dose unit)."""
    return Drug(
        code=drug.code,
        generic_name_zh=drug.generic_name_zh,
        generic_name_en=drug.generic_name_en,
        ingredients=tuple(drug.ingredient_list),
        atc_code=drug.atc_code,
        dose_unit=drug.dose_unit,
        strength=drug.strength,
        strength_value=drug.strength_value,
        strength_unit=drug.strength_unit,
        dosage_form=drug.dosage_form,
        route=drug.route,
        pack_size=drug.pack_size,
        pack_unit=drug.pack_unit,
    )


def dose_unit_choices_by_drug() -> dict[str, list[str]]:
    """drug code → the dose units a prescriber may write for it, where there is a choice to
    make: a combination's tablets (or capsules, inhalations) or the amount of one named
    component. Empty when the knowledge cannot be loaded (signing fails closed anyway)."""
    from hospital.prescriptions.decision_support.knowledge_files import get_knowledge

    try:
        kb = get_knowledge()
    except KnowledgeUnavailable:
        return {}
    return {
        code: dose_unit_choices(drug, kb)
        for code in kb.components
        if (drug := kb.drug(code)) is not None
    }


def component_dose_forms(*, drug_code: str, dose: Decimal, dose_unit: str) -> Decimal | None:
    """How many tablets (capsules, inhalations) a combination's dose written as one component's
    amount ("800 mg sulfamethoxazole") is; None for any other unit."""
    from hospital.prescriptions.decision_support.knowledge_files import get_knowledge

    try:
        kb = get_knowledge()
    except KnowledgeUnavailable:
        return None
    drug = kb.drug(drug_code)
    component = kb.component_by_unit(drug, dose_unit) if drug is not None else None
    if drug is None or component is None:
        return None
    return dose_in_drug_unit(dose, dose_unit, drug, kb)


def dose_unit_check(*, drug: FormularyDrug, dose_unit: str, field: str) -> None:
    """Refuses a dose unit that does not say what it measures: a combination's dose in plain
    mg (of which component?). Tablets, or "mg sulfamethoxazole", say it."""
    from hospital.prescriptions.decision_support.knowledge_files import get_knowledge

    try:
        kb = get_knowledge()
    except KnowledgeUnavailable:
        return  # saved unchecked; signing refuses until the knowledge is back
    known = kb.drug(drug.code)
    if known is None or not dose_unit_is_ambiguous(known, dose_unit, kb):
        return
    raise DomainError(
        _(
            "%(drug)s is a combination: give the dose in %(choices)s, not “%(unit)s” of no "
            "named component."
        )
        % {
            "drug": drug.generic_name_zh,
            "choices": "/".join(f"“{u}”" for u in dose_unit_choices(known, kb)),
            "unit": dose_unit[:40],
        },
        field=field,
        code="dose_unit_ambiguous",
    )


def patient_age_years(patient: PatientProfile, today: dt.date) -> float:
    return (today - patient.birth_date).days / 365.25


def recorded_condition_codes(patient: PatientProfile) -> dict[str, bool]:
    """The patient's recorded (not entered-in-error) condition codes → chronic."""
    rows = Condition.objects.filter(patient=patient).exclude(
        verification_status=Condition.Verification.ENTERED_IN_ERROR
    )
    return {icd10_normalize(c.icd10_code): c.is_chronic for c in rows}


def patient_facts(
    *, patient: PatientProfile, extra_conditions: Sequence[str] = (), today: dt.date | None = None
) -> PatientFacts:
    today = today or timezone.localdate()
    facts = prescribing_facts(patient=patient)
    allergies: list[RecordedAllergy] = []
    for allergy in facts["allergies"]:
        allergies.append(
            RecordedAllergy(substance=allergy["substance"], severity=allergy["severity"])
        )
        if allergy.get("drug_class") and allergy["drug_class"] != "other":
            allergies.append(
                RecordedAllergy(substance=allergy["drug_class"], severity=allergy["severity"])
            )
    pregnancy = {"pregnant": True, "not_pregnant": False}.get(facts["pregnancy_status"])
    lactation = {"lactating": True, "not_lactating": False}.get(facts["lactation_status"])
    conditions = list(dict.fromkeys([*facts["condition_codes"], *extra_conditions]))
    labs = {
        kind: LabValue(value=value, measured_on=day) for kind, (value, day) in facts["labs"].items()
    }
    hepatic = facts["hepatic_impairment"]
    return PatientFacts(
        age_years=patient_age_years(patient, today),
        weight_kg=facts["weight_kg"],
        sex=facts["sex"],
        pregnant=pregnancy,
        lactating=lactation,
        allergies=tuple(allergies),
        conditions=tuple(conditions),
        creatinine_umol_l=labs.get(Reading.Kind.CREATININE),
        egfr=labs.get(Reading.Kind.EGFR),
        potassium_mmol_l=labs.get(Reading.Kind.POTASSIUM),
        hepatic_impairment="" if hepatic == ClinicalProfile.HepaticImpairment.UNKNOWN else hepatic,
        as_of=today,
    )


def active_medications(
    *, patient: PatientProfile, exclude_prescription_ids: Sequence[int] = ()
) -> list[ActiveMedication]:
    """The patient's current medicines: the record's, and the items of their other pending or
    approved (unexpired) prescriptions."""
    facts = prescribing_facts(patient=patient)
    medications = [
        ActiveMedication(
            drug_code=m["drug_code"] or None,
            ingredients=tuple(m["ingredients"]),
            atc_code=m["atc_code"],
            source=m["source"],
            name=m["name"],
        )
        for m in facts["medications"]
    ]
    items = (
        PrescriptionItem.objects.filter(
            prescription__patient=patient,
            prescription__status__in=CURRENT_STATUSES,
        )
        .exclude(prescription_id__in=list(exclude_prescription_ids))
        .exclude(prescription__valid_until__lt=timezone.localdate())
        .select_related("drug")
    )
    for item in items:
        medications.append(
            ActiveMedication(
                drug_code=item.drug.code,
                ingredients=tuple(item.drug.ingredient_list),
                atc_code=item.drug.atc_code,
                source="prescription",
                name=item.drug.generic_name_zh,
            )
        )
    return medications


def decision_support_run(
    *,
    patient: PatientProfile,
    checked: Sequence[tuple[str, Decimal, str, str, int, int, str]],
    diagnosis_codes: Sequence[str],
    exclude_prescription_ids: Sequence[int],
    knowledge: Any = None,
) -> list[Finding]:
    """Raises KnowledgeUnavailable when the knowledge cannot be loaded."""
    from hospital.prescriptions.decision_support.knowledge_files import get_knowledge

    kb = knowledge or get_knowledge()
    proposed = [
        ProposedItem(
            drug_code=code,
            dose=dose,
            dose_unit=unit,
            frequency=frequency,
            duration_days=days,
            quantity_packs=packs,
            route=route,
        )
        for code, dose, unit, frequency, days, packs, route in checked
    ]
    return check_prescription(
        patient=patient_facts(patient=patient, extra_conditions=diagnosis_codes),
        items=proposed,
        active_medications=active_medications(
            patient=patient, exclude_prescription_ids=exclude_prescription_ids
        ),
        knowledge=kb,
    )


def prescription_recheck(prescription: Prescription, *, knowledge: Any) -> list[Finding]:
    """What decision support says of this prescription now, with `knowledge` and the record as
    it stands, without storing anything (for reports)."""
    return decision_support_run(
        patient=prescription.patient,
        checked=_prescription_tuples(prescription),
        diagnosis_codes=prescription.diagnosis_codes,
        exclude_prescription_ids=_excluded_ids(prescription),
        knowledge=knowledge,
    )


def _excluded_ids(prescription: Prescription) -> list[int]:
    # The prescription this one revises was rejected: it is not a current medicine anyway, but
    # naming it keeps a revision from ever counting its predecessor.
    return [i for i in (prescription.pk, prescription.revision_of_id) if i]


def _prescription_tuples(prescription: Prescription) -> list[tuple[Any, ...]]:
    return [
        (
            item.drug.code,
            item.dose,
            item.dose_unit,
            item.frequency,
            item.duration_days,
            item.quantity_packs,
            item.route,
        )
        for item in prescription.items.select_related("drug").order_by("position", "id")
    ]


def _store_findings(
    prescription: Prescription,
    findings: Sequence[Finding],
    override_reasons: Mapping[str, str] | None = None,
) -> list[PrescriptionFinding]:
    """Replaces the stored findings with `findings`; keeps override reasons already given for
    the same rule unless new ones are passed."""
    previous = {f.rule_id: f.override_reason for f in prescription.findings.all()}
    reasons = {**previous, **(override_reasons or {})}
    prescription.findings.all().delete()
    rows = PrescriptionFinding.objects.bulk_create(
        [
            PrescriptionFinding(
                prescription=prescription,
                kind=str(f.kind),
                severity=str(f.severity),
                drug_codes=list(f.drug_codes),
                message=f.message,
                message_zh=f.message_zh,
                management=f.management,
                management_zh=f.management_zh,
                source=f.source,
                rule_id=f.rule_id,
                override_reason=(reasons.get(f.rule_id) or "").strip()
                if f.severity in (Severity.MAJOR, Severity.CONTRAINDICATED)
                else "",
            )
            for f in findings
        ]
    )
    worst = highest_severity(findings)
    prescription.risk_rank = worst.rank if worst else 0
    return rows


def prescription_findings_refresh(
    prescription: Prescription,
    *,
    fail_closed: bool,
    override_reasons: Mapping[str, str] | None = None,
) -> DecisionSupportResult:
    from hospital.prescriptions.decision_support.knowledge_files import get_knowledge

    try:
        knowledge = get_knowledge()
        findings = decision_support_run(
            patient=prescription.patient,
            checked=_prescription_tuples(prescription),
            diagnosis_codes=prescription.diagnosis_codes,
            exclude_prescription_ids=_excluded_ids(prescription),
            knowledge=knowledge,
        )
    except KnowledgeUnavailable as error:
        if fail_closed:
            raise
        prescription.findings.all().delete()
        prescription.risk_rank = 0
        prescription.knowledge_version = ""
        return DecisionSupportResult(False, [], unavailable_reason=error.message)
    _store_findings(prescription, findings, override_reasons)
    prescription.knowledge_version = knowledge.version
    return DecisionSupportResult(True, findings, knowledge.version)
