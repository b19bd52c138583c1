"""Drafting an e-prescription: who may prescribe, what a prescription may hold, create, update,
check and preview."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, cast

from django.db import transaction
from django.db.models import CharField, DecimalField
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import access_log_record
from core.exceptions import Conflict, DomainError, NotFound
from hospital.consultations.models import Consultation
from hospital.consultations.services.clinical import consultation_check_may_prescribe
from hospital.doctors.services import doctor_check_may_practise
from hospital.icd10 import icd10_normalize
from hospital.prescriptions.decision_support.doses import convert_dose, frequency_per_day
from hospital.prescriptions.models import (
    FormularyDrug,
    Prescription,
    PrescriptionEvent,
    PrescriptionFinding,
    PrescriptionItem,
)
from hospital.prescriptions.services.findings import (
    DecisionSupportResult,
    component_dose_forms,
    decision_support_run,
    dose_unit_check,
    knowledge_drug,
    patient_age_years,
    prescription_findings_refresh,
    recorded_condition_codes,
)
from hospital.records.services.entries import condition_is_chronic_default
from hospital.rules import figure
from notifications.kinds import kind_register

S = Prescription.Status

kind_register("hospital.prescription_issued", gettext_lazy("Prescription issued"))


class PrescriptionBlocked(Conflict):
    """Signing refused because of decision-support findings; `findings` says which."""

    code = "prescription_blocked"

    def __init__(self, message: str, *, findings: Sequence[PrescriptionFinding], code: str = ""):
        super().__init__(message, code=code or None)
        self.findings = list(findings)


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
    # The doctor marks a dose that must not be missed: its reminder repeats until answered.
    is_important: bool = False


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


def _doctor_user_id(user: Any) -> int | None:
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


def locked_consultation(consultation_id: int) -> Consultation:
    consultation = (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("doctor", "patient")
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None:
        raise NotFound(_("No such consultation."))
    return consultation


def locked_own_prescription(doctor_user: Any, prescription_id: int) -> Prescription:
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


def require_draft(prescription: Prescription, action: str) -> None:
    if prescription.status != S.DRAFT:
        raise Conflict(
            _("Only a draft can be changed; this prescription is %(status)s.")
            % {"status": prescription.get_status_display()},
            code="not_a_draft",
        )


def max_packs_needed(
    *, drug: FormularyDrug, dose: Decimal, dose_unit: str, frequency: str, duration_days: int
) -> int | None:
    """ceil(units needed / units per pack), where a pack holds countable dose forms (tablets,
    capsules, sachets …) and the dose converts to them; None where that cannot be worked out
    (pens, bottles, tubes: the reviewing pharmacist judges those quantities)."""
    if not drug.pack_size:
        return None
    counted = replace(knowledge_drug(drug), dose_unit="tablet")
    # The pack unit is a count of dose forms exactly when one of it converts to one "tablet".
    if convert_dose(Decimal(1), drug.pack_unit, counted) != Decimal(1):
        return None
    forms_per_dose = component_dose_forms(
        drug_code=drug.code, dose=dose, dose_unit=dose_unit
    ) or convert_dose(dose, dose_unit, counted)
    if forms_per_dose is None or forms_per_dose <= 0:
        return None
    try:
        per_day = frequency_per_day(frequency)
    except ValueError:
        return None
    needed = forms_per_dose * per_day * duration_days
    return max(1, math.ceil(needed / drug.pack_size))


def check_may_prescribe(
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


def prescription_content_validate(
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

    recorded = recorded_condition_codes(consultation.patient)
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
        dose_unit_check(drug=drug, dose_unit=item.dose_unit, field=f"{at}.dose_unit")
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
            # 处方管理办法 article 19: beyond the normal limit only for a chronic or geriatric
            # condition, and only with the doctor's stated reason.
            if not content.long_term_reason.strip():
                raise DomainError(
                    _(
                        "A supply over %(n)s days needs your reason (a chronic or geriatric "
                        "condition, stable on this medicine)."
                    )
                    % {"n": normal_days},
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
                is_important=bool(c.item.is_important),
                position=index,
            )
            for index, c in enumerate(checked)
        ]
    )


@transaction.atomic
def prescription_create(
    *, doctor_user: Any, consultation_id: int, content: PrescriptionContent
) -> Prescription:
    """A new draft in the consultation, checked by decision support."""
    consultation = locked_consultation(consultation_id)
    consultation_check_may_prescribe(consultation=consultation, doctor_user=doctor_user)
    assert consultation.doctor is not None
    checked, codes, supply_days = prescription_content_validate(
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
    prescription_findings_refresh(prescription, fail_closed=False)
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
    consultation = locked_consultation(consultation_id)
    prescription = locked_own_prescription(doctor_user, prescription_id)
    require_draft(prescription, "update")
    check_may_prescribe(consultation, doctor_user, revising=prescription.revision_of_id is not None)
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
                is_important=i.is_important,
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
    checked, codes, supply_days = prescription_content_validate(
        consultation=consultation, content=content, today=timezone.localdate()
    )
    prescription.diagnosis_codes = codes
    prescription.supply_days = supply_days
    prescription.long_term_reason = content.long_term_reason.strip()
    prescription.guardian_name = content.guardian_name.strip()
    _write_items(prescription, checked)
    prescription_findings_refresh(prescription, fail_closed=False)
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
    prescription = locked_own_prescription(doctor_user, prescription_id)
    require_draft(prescription, "check")
    result = prescription_findings_refresh(prescription, fail_closed=True)
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
    checked, codes, _days = prescription_content_validate(
        consultation=consultation, content=content, today=timezone.localdate()
    )
    from hospital.prescriptions.decision_support.knowledge_files import get_knowledge

    knowledge = get_knowledge()
    findings = decision_support_run(
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
