"""Prescribing: drafts, decision support, signing, extension and revision (the doctor's side).

Only the treating doctor of an open follow-up consultation, who may practise right now, writes
or signs a prescription; every operation here starts from that doctor's own request. Nothing
creates or signs a prescription on its own.

Decision support runs on every draft change and again at signing. Saving a draft tolerates a
missing knowledge base (the findings are then empty and the check says so); signing fails
closed with `KnowledgeUnavailable` (503).

Lock order: consultation, then prescription.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, cast

from django.db import transaction
from django.db.models import CharField, DecimalField
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import PatientProfile
from audit.services import access_log_record
from core.exceptions import Conflict, DomainError, NotAllowed, NotFound
from hospital.decision_support import (
    ActiveMedication,
    Finding,
    PatientFacts,
    ProposedItem,
    RecordedAllergy,
    check_prescription,
    convert_dose,
    frequency_per_day,
    highest_severity,
)
from hospital.icd10 import icd10_normalize
from hospital.knowledge import Drug, Severity
from hospital.models import (
    Condition,
    Consultation,
    FormularyDrug,
    Prescription,
    PrescriptionEvent,
    PrescriptionFinding,
    PrescriptionItem,
)
from hospital.prescription_signing import prescription_signature
from hospital.rules import figure
from hospital.selectors_records import prescribing_facts
from hospital.services.consultations import (
    consultation_check_may_prescribe,
    consultation_post_system_message,
)
from hospital.services.doctors import doctor_check_may_practise
from hospital.services.records import condition_is_chronic_default
from notifications.kinds import kind_register
from notifications.services import notification_send

S = Prescription.Status

kind_register("hospital.prescription_issued", gettext_lazy("Prescription issued"))

# Prescriptions whose items the patient is (or will be) taking: another one of these is an
# active medication for decision support.
CURRENT_STATUSES = (S.PENDING_REVIEW, S.APPROVED)


class PrescriptionBlocked(Conflict):
    """Signing refused because of decision-support findings; `findings` says which."""

    code = "prescription_blocked"

    def __init__(self, message: str, *, findings: Sequence[PrescriptionFinding], code: str = ""):
        super().__init__(message, code=code or None)
        self.findings = list(findings)


class MfaRequired(NotAllowed):
    code = "mfa_required"


# --- input -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemInput:
    drug_code: str
    dose: Decimal
    dose_unit: str
    frequency: str
    duration_days: int
    quantity_packs: int
    route: str = ""
    instructions: str = ""


@dataclass(frozen=True)
class PrescriptionContent:
    items: Sequence[ItemInput]
    diagnosis_codes: Sequence[str]
    long_term_reason: str = ""
    guardian_name: str = ""


@dataclass(frozen=True)
class _CheckedItem:
    item: ItemInput
    drug: FormularyDrug
    route: str
    frequency: str


@dataclass(frozen=True)
class DecisionSupportResult:
    available: bool
    findings: list[Finding]
    knowledge_version: str = ""
    unavailable_reason: str = ""


# --- helpers -----------------------------------------------------------------------------------


def _doctor_user_id(user: Any) -> int | None:
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


def _locked_consultation(consultation_id: int) -> Consultation:
    consultation = (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("doctor", "patient")
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None:
        raise NotFound(_("No such consultation."))
    return consultation


def _locked_own_prescription(doctor_user: Any, prescription_id: int) -> Prescription:
    """The prescription locked for its own doctor; anyone else gets 404 (not 403)."""
    prescription = (
        Prescription.objects.select_for_update(of=("self",))
        .select_related("doctor", "patient", "consultation")
        .filter(pk=prescription_id)
        .first()
    )
    if prescription is None or prescription.doctor.user_id != _doctor_user_id(doctor_user):
        raise NotFound(_("No such prescription."))
    return prescription


def prescription_event(prescription: Prescription, kind: str, actor: Any, **detail: Any) -> None:
    """A line in the prescription's own history (signing, review, expiry...)."""
    PrescriptionEvent.objects.create(
        prescription=prescription, kind=kind, actor=actor, detail=detail
    )


def prescription_audit(
    actor: Any, prescription: Prescription, action: str, detail: str = ""
) -> None:
    """The access log entry for an action on a prescription."""
    access_log_record(
        actor=actor,
        patient_id=prescription.patient_id,
        object_type="prescription",
        object_id=prescription.pk,
        action=action,
        detail=detail,
    )


def _require_draft(prescription: Prescription, action: str) -> None:
    if prescription.status != S.DRAFT:
        raise Conflict(
            _("Only a draft can be changed; this prescription is %(status)s.")
            % {"status": prescription.get_status_display()},
            code="not_a_draft",
        )


def _as_knowledge_drug(drug: FormularyDrug) -> Drug:
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


def max_packs_needed(
    *, drug: FormularyDrug, dose: Decimal, dose_unit: str, frequency: str, duration_days: int
) -> int | None:
    """ceil(units needed / units per pack), where a pack holds countable dose forms (tablets,
    capsules, sachets …) and the dose converts to them; None where that cannot be worked out
    (pens, bottles, tubes: the reviewing pharmacist judges those quantities)."""
    if not drug.pack_size:
        return None
    counted = replace(_as_knowledge_drug(drug), dose_unit="tablet")
    # The pack unit is a count of dose forms exactly when one of it converts to one "tablet".
    if convert_dose(Decimal(1), drug.pack_unit, counted) != Decimal(1):
        return None
    forms_per_dose = convert_dose(dose, dose_unit, counted)
    if forms_per_dose is None or forms_per_dose <= 0:
        return None
    try:
        per_day = frequency_per_day(frequency)
    except ValueError:
        return None
    needed = forms_per_dose * per_day * duration_days
    return max(1, math.ceil(needed / drug.pack_size))


def patient_age_years(patient: PatientProfile, today: dt.date) -> float:
    return (today - patient.birth_date).days / 365.25


def _recorded_condition_codes(patient: PatientProfile) -> dict[str, bool]:
    """The patient's recorded (not entered-in-error) condition codes → chronic."""
    rows = Condition.objects.filter(patient=patient).exclude(
        verification_status=Condition.Verification.ENTERED_IN_ERROR
    )
    return {icd10_normalize(c.icd10_code): c.is_chronic for c in rows}


def _check_may_prescribe(
    consultation: Consultation, doctor_user: Any, *, revising: bool = False
) -> None:
    """The treating doctor, allowed to practise, in an open follow-up consultation. A revision
    of a rejected prescription may also be written after the consultation closed, within the
    follow-up window in which the doctor may still open the patient's record."""
    if not revising or consultation.status == Consultation.Status.OPEN:
        consultation_check_may_prescribe(consultation=consultation, doctor_user=doctor_user)
        return
    if consultation.doctor is None or consultation.doctor.user_id != _doctor_user_id(doctor_user):
        raise NotFound(_("No such consultation."))
    doctor_check_may_practise(doctor=consultation.doctor)
    window = figure("RECORD_FOLLOW_UP_ACCESS")
    if (
        consultation.status != Consultation.Status.CLOSED
        or consultation.qualifies_as_follow_up is not True
        or consultation.closed_at is None
        or timezone.now() - consultation.closed_at > window
    ):
        raise Conflict(
            _("This consultation can no longer carry a prescription; see the patient again."),
            code="consultation_not_open",
        )


# --- validation of the content -----------------------------------------------------------------


# The most packs one line may ask for; the API's input serializer states the same bound.
MAX_PACKS_PER_ITEM = 1000


def _check_item_fits(item: ItemInput, at: str) -> None:
    """Refuse a dose, quantity or text the item's columns cannot hold. The API's serializer
    bounds these too, but the prescribing form hands raw text to the service, and a NaN,
    an infinite or over-long dose must be a message, not a 500."""
    dose_field = cast(DecimalField, PrescriptionItem._meta.get_field("dose"))
    places = dose_field.decimal_places
    whole_digits = dose_field.max_digits - places
    dose = item.dose
    if not dose.is_finite() or dose <= 0:
        raise DomainError(_("The dose must be more than 0."), field=f"{at}.dose")
    if dose >= Decimal(10) ** whole_digits or dose != dose.quantize(Decimal(1).scaleb(-places)):
        raise DomainError(
            _("Write the dose with at most %(whole)s digits and %(places)s decimal places.")
            % {"whole": whole_digits, "places": places},
            field=f"{at}.dose",
        )
    if not 1 <= item.quantity_packs <= MAX_PACKS_PER_ITEM:
        raise DomainError(
            _("Between 1 and %(n)s packs.") % {"n": MAX_PACKS_PER_ITEM},
            field=f"{at}.quantity_packs",
        )
    for name in ("dose_unit", "route"):
        limit = cast(CharField, PrescriptionItem._meta.get_field(name)).max_length or 0
        if len(getattr(item, name)) > limit:
            raise DomainError(_("At most %(n)s characters.") % {"n": limit}, field=f"{at}.{name}")


def _validate(
    *, consultation: Consultation, content: PrescriptionContent, today: dt.date
) -> tuple[list[_CheckedItem], list[str], int]:
    """Every prescribing rule, each refusing with the field at fault. Returns the checked
    items, the normalised diagnosis codes and the days of supply."""
    items = list(content.items)
    max_items = figure("PRESCRIPTION_MAX_ITEMS")
    if not items:
        raise DomainError(_("Add at least one medicine."), field="items", code="no_items")
    if len(items) > max_items:
        raise DomainError(
            _("A prescription holds at most %(n)s medicines.") % {"n": max_items},
            field="items",
            code="too_many_items",
        )

    recorded = _recorded_condition_codes(consultation.patient)
    on_record = set(recorded) | {
        icd10_normalize(code) for code in consultation.diagnoses.values_list("code", flat=True)
    }
    codes: list[str] = []
    for raw in content.diagnosis_codes:
        code = icd10_normalize(raw)
        if code and code not in codes:
            codes.append(code)
    if not codes:
        raise DomainError(
            _("Name the diagnosis this prescription treats."),
            field="diagnosis_codes",
            code="no_diagnosis",
        )
    for code in codes:
        if code not in on_record:
            raise DomainError(
                _(
                    "%(code)s is not on record for this patient: record it as a diagnosis of "
                    "this consultation first."
                )
                % {"code": code[:20]},
                field="diagnosis_codes",
                code="diagnosis_not_on_record",
            )

    drugs = {
        d.code: d
        for d in FormularyDrug.objects.filter(code__in=[i.drug_code for i in items], is_active=True)
    }
    normal_days = figure("PRESCRIPTION_MAX_SUPPLY_DAYS")
    chronic_days = figure("PRESCRIPTION_MAX_CHRONIC_SUPPLY_DAYS")
    long_days = figure("PRESCRIPTION_MAX_LONG_TERM_SUPPLY_DAYS")
    chronic_diagnosis = any(recorded.get(c) or condition_is_chronic_default(c) for c in codes)
    checked: list[_CheckedItem] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        at = f"items[{index}]"
        drug = drugs.get(item.drug_code)
        if drug is None:
            raise DomainError(
                _("%(code)s is not an active formulary drug.") % {"code": item.drug_code[:60]},
                field=f"{at}.drug_code",
                code="unknown_drug",
            )
        if drug.is_forbidden_online:
            raise DomainError(
                _("%(drug)s is %(control)s and is never prescribed online.")
                % {"drug": drug.generic_name_zh, "control": drug.get_control_class_display()},
                field=f"{at}.drug_code",
                code="forbidden_control_class",
            )
        if drug.code in seen:
            raise DomainError(
                _("%(drug)s is listed twice; write it once with the whole regimen.")
                % {"drug": drug.generic_name_zh},
                field=f"{at}.drug_code",
                code="duplicate_item",
            )
        seen.add(drug.code)
        frequency = item.frequency.strip().upper()
        try:
            frequency_per_day(frequency)
        except ValueError:
            raise DomainError(
                _("Unknown frequency “%(frequency)s” (use QD, BID, TID, QID, Q8H, QN, PRN …).")
                % {"frequency": item.frequency[:12]},
                field=f"{at}.frequency",
                code="unknown_frequency",
            ) from None
        _check_item_fits(item, at)
        if item.duration_days < 1:
            raise DomainError(_("At least one day."), field=f"{at}.duration_days")
        if item.duration_days > normal_days:
            if not drug.long_term_allowed:
                raise DomainError(
                    _("%(drug)s may be supplied for at most %(n)s days.")
                    % {"drug": drug.generic_name_zh, "n": normal_days},
                    field=f"{at}.duration_days",
                    code="supply_too_long",
                )
            if not chronic_diagnosis:
                raise DomainError(
                    _(
                        "A supply over %(n)s days is for a chronic condition: name the chronic "
                        "diagnosis it treats."
                    )
                    % {"n": normal_days},
                    field=f"{at}.duration_days",
                    code="supply_too_long",
                )
            if item.duration_days > long_days:
                raise DomainError(
                    _("At most %(n)s days of supply, even for a stable chronic patient.")
                    % {"n": long_days},
                    field=f"{at}.duration_days",
                    code="supply_too_long",
                )
            if item.duration_days > chronic_days and not content.long_term_reason.strip():
                raise DomainError(
                    _(
                        "A supply over %(n)s days needs the reason recorded (a stable chronic "
                        "patient)."
                    )
                    % {"n": chronic_days},
                    field="long_term_reason",
                    code="long_term_reason_required",
                )
        limit = max_packs_needed(
            drug=drug,
            dose=item.dose,
            dose_unit=item.dose_unit,
            frequency=frequency,
            duration_days=item.duration_days,
        )
        if limit is not None and item.quantity_packs > limit:
            raise DomainError(
                _(
                    "%(packs)s packs is more than the regimen needs: %(limit)s pack(s) of "
                    "%(size)s %(unit)s cover %(days)s days."
                )
                % {
                    "packs": item.quantity_packs,
                    "limit": limit,
                    "size": drug.pack_size,
                    "unit": drug.pack_unit,
                    "days": item.duration_days,
                },
                field=f"{at}.quantity_packs",
                code="quantity_exceeds_need",
            )
        checked.append(
            _CheckedItem(
                item=item,
                drug=drug,
                route=(item.route or drug.route).strip(),
                frequency=frequency,
            )
        )

    guardian_age = figure("PRESCRIPTION_GUARDIAN_UNDER_AGE")
    if (
        patient_age_years(consultation.patient, today) < guardian_age
        and not content.guardian_name.strip()
    ):
        raise DomainError(
            _("The patient is under %(n)s: record the guardian present.") % {"n": guardian_age},
            field="guardian_name",
            code="guardian_required",
        )
    supply_days = max(c.item.duration_days for c in checked)
    return checked, codes, supply_days


# --- decision support --------------------------------------------------------------------------


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
    return PatientFacts(
        age_years=patient_age_years(patient, today),
        weight_kg=facts["weight_kg"],
        sex=facts["sex"],
        pregnant=pregnancy,
        lactating=lactation,
        allergies=tuple(allergies),
        conditions=tuple(conditions),
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


def _run_decision_support(
    *,
    patient: PatientProfile,
    checked: Sequence[tuple[str, Decimal, str, str, int, int, str]],
    diagnosis_codes: Sequence[str],
    exclude_prescription_ids: Sequence[int],
    knowledge: Any = None,
) -> list[Finding]:
    """Raises KnowledgeUnavailable when the knowledge cannot be loaded."""
    from hospital.knowledge import get_knowledge

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


def _refresh_findings(
    prescription: Prescription,
    *,
    fail_closed: bool,
    override_reasons: Mapping[str, str] | None = None,
) -> DecisionSupportResult:
    from hospital.knowledge import KnowledgeUnavailable, get_knowledge

    try:
        knowledge = get_knowledge()
        findings = _run_decision_support(
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


def _write_items(prescription: Prescription, checked: Sequence[_CheckedItem]) -> None:
    prescription.items.all().delete()
    PrescriptionItem.objects.bulk_create(
        [
            PrescriptionItem(
                prescription=prescription,
                drug=c.drug,
                dose=c.item.dose,
                dose_unit=c.item.dose_unit.strip(),
                route=c.route,
                frequency=c.frequency,
                duration_days=c.item.duration_days,
                quantity_packs=c.item.quantity_packs,
                instructions=c.item.instructions.strip(),
                position=index,
            )
            for index, c in enumerate(checked)
        ]
    )


# --- operations --------------------------------------------------------------------------------


@transaction.atomic
def prescription_create(
    *, doctor_user: Any, consultation_id: int, content: PrescriptionContent
) -> Prescription:
    """A new draft in the consultation, checked by decision support."""
    consultation = _locked_consultation(consultation_id)
    consultation_check_may_prescribe(consultation=consultation, doctor_user=doctor_user)
    assert consultation.doctor is not None
    checked, codes, supply_days = _validate(
        consultation=consultation, content=content, today=timezone.localdate()
    )
    prescription = Prescription.objects.create(
        consultation=consultation,
        patient=consultation.patient,
        doctor=consultation.doctor,
        status=S.DRAFT,
        diagnosis_codes=codes,
        supply_days=supply_days,
        long_term_reason=content.long_term_reason.strip(),
        guardian_name=content.guardian_name.strip(),
    )
    _write_items(prescription, checked)
    _refresh_findings(prescription, fail_closed=False)
    prescription.save(update_fields=["risk_rank", "knowledge_version"])
    prescription_event(
        prescription, PrescriptionEvent.Kind.CREATED, doctor_user, items=len(checked)
    )
    prescription_audit(doctor_user, prescription, "create", f"draft with {len(checked)} item(s)")
    return prescription


@transaction.atomic
def prescription_update(
    *,
    doctor_user: Any,
    prescription_id: int,
    items: Sequence[ItemInput] | None = None,
    diagnosis_codes: Sequence[str] | None = None,
    long_term_reason: str | None = None,
    guardian_name: str | None = None,
) -> Prescription:
    """Changes a draft; what is not passed stays as it is. The whole content is checked again."""
    consultation_id = (
        Prescription.objects.filter(pk=prescription_id).values_list("consultation_id", flat=True)
    ).first()
    if consultation_id is None:
        raise NotFound(_("No such prescription."))
    consultation = _locked_consultation(consultation_id)
    prescription = _locked_own_prescription(doctor_user, prescription_id)
    _require_draft(prescription, "update")
    _check_may_prescribe(
        consultation, doctor_user, revising=prescription.revision_of_id is not None
    )
    if items is None:
        items = [
            ItemInput(
                drug_code=i.drug.code,
                dose=i.dose,
                dose_unit=i.dose_unit,
                frequency=i.frequency,
                duration_days=i.duration_days,
                quantity_packs=i.quantity_packs,
                route=i.route,
                instructions=i.instructions,
            )
            for i in prescription.items.select_related("drug").order_by("position", "id")
        ]
    content = PrescriptionContent(
        items=items,
        diagnosis_codes=prescription.diagnosis_codes
        if diagnosis_codes is None
        else diagnosis_codes,
        long_term_reason=(
            prescription.long_term_reason if long_term_reason is None else long_term_reason
        ),
        guardian_name=prescription.guardian_name if guardian_name is None else guardian_name,
    )
    checked, codes, supply_days = _validate(
        consultation=consultation, content=content, today=timezone.localdate()
    )
    prescription.diagnosis_codes = codes
    prescription.supply_days = supply_days
    prescription.long_term_reason = content.long_term_reason.strip()
    prescription.guardian_name = content.guardian_name.strip()
    _write_items(prescription, checked)
    _refresh_findings(prescription, fail_closed=False)
    prescription.save(
        update_fields=[
            "diagnosis_codes",
            "supply_days",
            "long_term_reason",
            "guardian_name",
            "risk_rank",
            "knowledge_version",
            "updated_at",
        ]
    )
    prescription_event(
        prescription, PrescriptionEvent.Kind.UPDATED, doctor_user, items=len(checked)
    )
    prescription_audit(doctor_user, prescription, "update", "draft changed")
    return prescription


@transaction.atomic
def prescription_check(*, doctor_user: Any, prescription_id: int) -> DecisionSupportResult:
    """Runs decision support on the draft again and stores the findings (no signing).
    Raises KnowledgeUnavailable (503) when the knowledge cannot be loaded."""
    prescription = _locked_own_prescription(doctor_user, prescription_id)
    _require_draft(prescription, "check")
    result = _refresh_findings(prescription, fail_closed=True)
    prescription.save(update_fields=["risk_rank", "knowledge_version"])
    return result


def prescription_preview(
    *, doctor_user: Any, consultation_id: int, content: PrescriptionContent
) -> DecisionSupportResult:
    """Decision support for content not yet saved (the live form): validates the rules, then
    checks. Writes nothing; raises like `prescription_create` would."""
    consultation = (
        Consultation.objects.select_related("doctor", "patient").filter(pk=consultation_id).first()
    )
    if consultation is None:
        raise NotFound(_("No such consultation."))
    consultation_check_may_prescribe(consultation=consultation, doctor_user=doctor_user)
    checked, codes, _days = _validate(
        consultation=consultation, content=content, today=timezone.localdate()
    )
    from hospital.knowledge import get_knowledge

    knowledge = get_knowledge()
    findings = _run_decision_support(
        patient=consultation.patient,
        checked=[
            (
                c.drug.code,
                c.item.dose,
                c.item.dose_unit,
                c.frequency,
                c.item.duration_days,
                c.item.quantity_packs,
                c.route,
            )
            for c in checked
        ],
        diagnosis_codes=codes,
        exclude_prescription_ids=(),
        knowledge=knowledge,
    )
    return DecisionSupportResult(True, findings, knowledge.version)


def mfa_is_recent(*, verified_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    if verified_at is None:
        return False
    now = now or timezone.now()
    return dt.timedelta(0) <= now - verified_at <= figure("PRESCRIPTION_SIGNING_MFA_MAX_AGE")


def _check_second_factor(doctor_user: Any, totp_code: str, mfa_verified_at: dt.datetime | None):
    """A TOTP code in the request, or a second factor confirmed in this session within the
    last few minutes (allauth's login or reauthentication records it)."""
    from allauth.mfa.models import Authenticator

    if totp_code:
        authenticator = Authenticator.objects.filter(
            user_id=doctor_user.pk, type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None or not authenticator.wrap().validate_code(totp_code.strip()):
            raise MfaRequired(
                _("The authenticator code is wrong or was already used; enter the current one."),
                field="totp_code",
            )
        return
    if not mfa_is_recent(verified_at=mfa_verified_at):
        raise MfaRequired(
            _("Confirm with your authenticator code to sign (required within the last 5 minutes)."),
            field="totp_code",
        )


def _check_blocking_findings(
    prescription: Prescription, override_reasons: Mapping[str, str]
) -> list[PrescriptionFinding]:
    stored = list(prescription.findings.all())
    contraindicated = [f for f in stored if f.severity == Severity.CONTRAINDICATED]
    if contraindicated:
        raise PrescriptionBlocked(
            _("Decision support found a contraindication; change the prescription."),
            findings=contraindicated,
            code="contraindicated",
        )
    missing = [
        f
        for f in stored
        if f.severity == Severity.MAJOR
        and not (override_reasons.get(f.rule_id) or f.override_reason or "").strip()
    ]
    if missing:
        raise PrescriptionBlocked(
            _("Give a reason for keeping each major warning (override_reasons by rule)."),
            findings=missing,
            code="override_reason_required",
        )
    return stored


@transaction.atomic
def prescription_sign(
    *,
    doctor_user: Any,
    prescription_id: int,
    totp_code: str = "",
    mfa_verified_at: dt.datetime | None = None,
    override_reasons: Mapping[str, str] | None = None,
) -> Prescription:
    """The treating doctor signs the draft: rules and decision support are checked again
    (failing closed), contraindications refuse, major findings need a reason each; the draft
    then waits for pharmacist review."""
    override_reasons = {k: str(v).strip() for k, v in (override_reasons or {}).items() if v}
    consultation_id = (
        Prescription.objects.filter(pk=prescription_id).values_list("consultation_id", flat=True)
    ).first()
    if consultation_id is None:
        raise NotFound(_("No such prescription."))
    consultation = _locked_consultation(consultation_id)
    prescription = _locked_own_prescription(doctor_user, prescription_id)
    if prescription.status == S.PENDING_REVIEW and prescription.signature:
        return prescription  # a double click: signed already
    _require_draft(prescription, "sign")
    _check_may_prescribe(
        consultation, doctor_user, revising=prescription.revision_of_id is not None
    )
    _check_second_factor(doctor_user, totp_code, mfa_verified_at)

    today = timezone.localdate()
    current = [
        ItemInput(
            drug_code=i.drug.code,
            dose=i.dose,
            dose_unit=i.dose_unit,
            frequency=i.frequency,
            duration_days=i.duration_days,
            quantity_packs=i.quantity_packs,
            route=i.route,
            instructions=i.instructions,
        )
        for i in prescription.items.select_related("drug").order_by("position", "id")
    ]
    _validate(
        consultation=consultation,
        content=PrescriptionContent(
            items=current,
            diagnosis_codes=prescription.diagnosis_codes,
            long_term_reason=prescription.long_term_reason,
            guardian_name=prescription.guardian_name,
        ),
        today=today,
    )
    _refresh_findings(prescription, fail_closed=True, override_reasons=override_reasons)
    _check_blocking_findings(prescription, override_reasons)

    now = timezone.now()
    prescription.issued_on = today
    prescription.valid_until = today
    prescription.signed_at = now
    prescription.submitted_at = now
    Prescription.TRANSITIONS.check(prescription.status, S.PENDING_REVIEW, action="sign")
    prescription.status = S.PENDING_REVIEW
    prescription.signature = prescription_signature(prescription)
    prescription.save(
        update_fields=[
            "issued_on",
            "valid_until",
            "signed_at",
            "submitted_at",
            "status",
            "signature",
            "risk_rank",
            "knowledge_version",
            "updated_at",
        ]
    )
    overridden = {
        f.rule_id: f.override_reason for f in prescription.findings.all() if f.override_reason
    }
    prescription_event(
        prescription,
        PrescriptionEvent.Kind.SIGNED,
        doctor_user,
        knowledge_version=prescription.knowledge_version,
        risk_rank=prescription.risk_rank,
        overrides=overridden,
        second_factor="totp" if totp_code else "session",
    )
    consultation_post_system_message(
        consultation=consultation,
        text=_(
            "Prescription issued (Rx #%(id)s, version %(version)s); a pharmacist reviews it next."
        )
        % {"id": prescription.pk, "version": prescription.version},
    )
    _notify_issued(prescription)
    prescription_audit(doctor_user, prescription, "update", "signed")
    return prescription


def _notify_issued(prescription: Prescription) -> None:
    link = reverse("hospital:prescription-detail", kwargs={"pk": prescription.pk})
    recipient = prescription.patient.account

    def send() -> None:
        notification_send(
            recipient=recipient,
            kind="hospital.prescription_issued",
            subject=_("Your prescription has been issued"),
            body=_(
                "Dr %(doctor)s issued a prescription for %(patient)s. A pharmacist reviews it "
                "before the medicine can be bought."
            )
            % {"doctor": prescription.doctor.name, "patient": prescription.patient.real_name},
            dedupe_key=f"prescription-issued:{prescription.pk}",
            link=link,
        )

    transaction.on_commit(send)


@transaction.atomic
def prescription_extend(
    *,
    doctor_user: Any,
    prescription_id: int,
    valid_until: dt.date,
    totp_code: str = "",
    mfa_verified_at: dt.datetime | None = None,
) -> Prescription:
    """Extends a signed prescription's validity to at most PRESCRIPTION_MAX_VALIDITY_DAYS days
    (the day of issue counting as the first). The validity is part of the signed content, so
    the doctor confirms with a second factor and the prescription is signed again."""
    prescription = _locked_own_prescription(doctor_user, prescription_id)
    if prescription.status not in CURRENT_STATUSES or prescription.issued_on is None:
        raise Conflict(
            _("Only a signed prescription that is still valid can be extended."),
            code="not_extendable",
        )
    doctor_check_may_practise(doctor=prescription.doctor)
    days = figure("PRESCRIPTION_MAX_VALIDITY_DAYS")
    latest = prescription.issued_on + dt.timedelta(days=days - 1)
    if valid_until > latest:
        raise DomainError(
            _("A prescription is valid for at most %(n)s days from its issue (until %(date)s).")
            % {"n": days, "date": latest.isoformat()},
            field="valid_until",
            code="validity_too_long",
        )
    if prescription.valid_until and valid_until <= prescription.valid_until:
        if valid_until == prescription.valid_until:
            return prescription
        raise DomainError(
            _("An extension cannot shorten the validity."),
            field="valid_until",
            code="validity_shortened",
        )
    if prescription.valid_until and prescription.valid_until < timezone.localdate():
        raise Conflict(_("This prescription has already expired."), code="expired")
    _check_second_factor(doctor_user, totp_code, mfa_verified_at)
    previous = prescription.valid_until
    prescription.valid_until = valid_until
    prescription.signature = prescription_signature(prescription)
    prescription.save(update_fields=["valid_until", "signature", "updated_at"])
    prescription_event(
        prescription,
        PrescriptionEvent.Kind.EXTENDED,
        doctor_user,
        previous=previous.isoformat() if previous else None,
        valid_until=valid_until.isoformat(),
    )
    prescription_audit(
        doctor_user, prescription, "update", f"extended to {valid_until.isoformat()}"
    )
    return prescription


@transaction.atomic
def prescription_revise(*, doctor_user: Any, prescription_id: int) -> Prescription:
    """A new draft (version + 1) copying a rejected prescription, for its doctor to correct and
    sign again; the rejected one stays as it is. Asking twice returns the same revision."""
    prescription = _locked_own_prescription(doctor_user, prescription_id)
    existing = Prescription.objects.filter(revision_of=prescription).first()
    if existing is not None:
        return existing
    if prescription.status != S.REJECTED:
        raise Conflict(_("Only a rejected prescription can be revised."), code="not_rejected")
    consultation = _locked_consultation(prescription.consultation_id)
    _check_may_prescribe(consultation, doctor_user, revising=True)
    revision = Prescription.objects.create(
        consultation=prescription.consultation,
        patient=prescription.patient,
        doctor=prescription.doctor,
        status=S.DRAFT,
        version=prescription.version + 1,
        revision_of=prescription,
        diagnosis_codes=list(prescription.diagnosis_codes),
        supply_days=prescription.supply_days,
        long_term_reason=prescription.long_term_reason,
        guardian_name=prescription.guardian_name,
    )
    PrescriptionItem.objects.bulk_create(
        [
            PrescriptionItem(
                prescription=revision,
                drug_id=item.drug_id,
                dose=item.dose,
                dose_unit=item.dose_unit,
                route=item.route,
                frequency=item.frequency,
                duration_days=item.duration_days,
                quantity_packs=item.quantity_packs,
                instructions=item.instructions,
                position=item.position,
            )
            for item in prescription.items.order_by("position", "id")
        ]
    )
    _refresh_findings(revision, fail_closed=False)
    revision.save(update_fields=["risk_rank", "knowledge_version"])
    prescription_event(
        revision, PrescriptionEvent.Kind.CREATED, doctor_user, revision_of=prescription.pk
    )
    prescription_event(
        prescription, PrescriptionEvent.Kind.REVISED, doctor_user, revision=revision.pk
    )
    prescription_audit(doctor_user, revision, "create", f"revision of #{prescription.pk}")
    return revision
