"""The health record as a FHIR R4 Bundle (type collection), for the patient to take elsewhere.

Resources: Patient, Condition (ICD-10), AllergyIntolerance, Observation (LOINC, UCUM units) and
Encounter (consultations), ExplanationOfBenefit (confirmed insurance settlements and decided
claims, from insurance's selector). Entries marked entered-in-error are left out.

The resident ID number is not exported: a full national ID in a file the patient forwards is a
risk, and a masked one identifies nobody. The Patient carries our own profile identifier.
Glucose readings are coded with the LOINC terms for moles per volume, since they are in mmol/L
(2339-0 and 1558-6 are mass per volume, mg/dL).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.utils import timezone

from hospital.consultations.models import Consultation
from hospital.records.models import Allergy, Condition, Reading
from insurance.selectors import ExplanationOfBenefits, benefit_explanations_for_patient

ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"
PATIENT_ID_SYSTEM = "urn:xinglin:patient-profile"
# Stable urn:uuid ids: the same record exported twice names its resources the same way.
ID_NAMESPACE = uuid.UUID("6f1b7f0e-3a4c-5d2e-9b8a-7c6d5e4f3a2b")

OBSERVATION_CODES: dict[str, tuple[str, str]] = {
    Reading.Kind.GLUCOSE_FASTING: (
        "77145-1",
        "Fasting glucose [Moles/volume] in Serum, Plasma or Blood",
    ),
    Reading.Kind.GLUCOSE_RANDOM: ("15074-8", "Glucose [Moles/volume] in Blood"),
    Reading.Kind.GLUCOSE_POSTPRANDIAL: (
        "14760-3",
        "Glucose [Moles/volume] in Capillary blood --2 hours post meal",
    ),
    Reading.Kind.BLOOD_PRESSURE: ("85354-9", "Blood pressure panel with all children optional"),
    Reading.Kind.HEART_RATE: ("8867-4", "Heart rate"),
    Reading.Kind.WEIGHT: ("29463-7", "Body weight"),
    Reading.Kind.HEIGHT: ("8302-2", "Body height"),
}
UCUM_CODES = {"mmol/L": "mmol/L", "mmHg": "mm[Hg]", "bpm": "/min", "kg": "kg", "cm": "cm"}
VITAL_SIGNS: set[str] = {
    Reading.Kind.BLOOD_PRESSURE,
    Reading.Kind.HEART_RATE,
    Reading.Kind.WEIGHT,
    Reading.Kind.HEIGHT,
}
INTERPRETATION: dict[str, tuple[str, str]] = {
    Reading.Flag.NORMAL: ("N", "Normal"),
    Reading.Flag.LOW: ("L", "Low"),
    Reading.Flag.HIGH: ("H", "High"),
    Reading.Flag.CRITICAL: ("AA", "Critical abnormal"),
}
ALLERGY_CATEGORY: dict[str, str] = {
    Allergy.Category.DRUG: "medication",
    Allergy.Category.FOOD: "food",
    Allergy.Category.ENVIRONMENT: "environment",
}
REACTION_SEVERITY: dict[str, str] = {
    Allergy.Severity.MILD: "mild",
    Allergy.Severity.MODERATE: "moderate",
    Allergy.Severity.SEVERE: "severe",
    Allergy.Severity.LIFE_THREATENING: "severe",
}
ENCOUNTER_STATUS: dict[str, str] = {
    Consultation.Status.WAITING: "planned",
    Consultation.Status.OPEN: "in-progress",
    Consultation.Status.CLOSED: "finished",
    Consultation.Status.CANCELLED: "cancelled",
}


def _urn(kind: str, pk: Any) -> str:
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, f'{kind}/{pk}')}"


def _instant(moment: Any) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _concept(system: str, code: str, display: str, text: str = "") -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        concept["text"] = text
    return concept


def _number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def _quantity(value: Decimal, unit: str) -> dict[str, Any]:
    return {"value": _number(value), "unit": unit, "system": UCUM_SYSTEM, "code": UCUM_CODES[unit]}


def _patient(patient: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": PATIENT_ID_SYSTEM, "value": str(patient.pk)}],
        "active": not patient.is_archived,
        "name": [{"use": "official", "text": patient.real_name}],
        "gender": {"male": "male", "female": "female"}.get(patient.sex, "unknown"),
        "birthDate": patient.birth_date.isoformat(),
    }


def _condition(condition: Condition, subject: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "clinicalStatus": _concept(
            f"{TERMINOLOGY}/condition-clinical",
            condition.clinical_status,
            condition.clinical_status.capitalize(),
        ),
        "verificationStatus": _concept(
            f"{TERMINOLOGY}/condition-ver-status",
            condition.verification_status,
            condition.verification_status.capitalize(),
        ),
        "category": [
            _concept(f"{TERMINOLOGY}/condition-category", "problem-list-item", "Problem List Item")
        ],
        "code": _concept(
            ICD10_SYSTEM, condition.icd10_code, condition.description, condition.description
        ),
        "subject": {"reference": subject},
        "recordedDate": _instant(condition.created_at),
    }
    if condition.onset_date:
        resource["onsetDateTime"] = condition.onset_date.isoformat()
    if condition.abatement_date:
        resource["abatementDateTime"] = condition.abatement_date.isoformat()
    if condition.note:
        resource["note"] = [{"text": condition.note}]
    return resource


def _allergy(allergy: Allergy, subject: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": _concept(
            f"{TERMINOLOGY}/allergyintolerance-clinical",
            allergy.status,
            allergy.status.capitalize(),
        ),
        "verificationStatus": _concept(
            f"{TERMINOLOGY}/allergyintolerance-verification",
            "confirmed" if allergy.source == "clinician" else "unconfirmed",
            "Confirmed" if allergy.source == "clinician" else "Unconfirmed",
        ),
        "type": "allergy",
        "criticality": (
            "high"
            if allergy.severity in (Allergy.Severity.SEVERE, Allergy.Severity.LIFE_THREATENING)
            else "low"
        ),
        "code": {"text": allergy.substance},
        "patient": {"reference": subject},
        "recordedDate": _instant(allergy.created_at),
    }
    if allergy.category in ALLERGY_CATEGORY:
        resource["category"] = [ALLERGY_CATEGORY[allergy.category]]
    if allergy.drug_class:
        resource["note"] = [{"text": f"Drug class: {allergy.get_drug_class_display()}"}]
    if allergy.noted_on:
        resource["onsetDateTime"] = allergy.noted_on.isoformat()
    if allergy.reaction:
        resource["reaction"] = [
            {
                "manifestation": [{"text": allergy.reaction}],
                "severity": REACTION_SEVERITY[allergy.severity],
            }
        ]
    return resource


def _observation(reading: Reading, subject: str) -> dict[str, Any]:
    code, display = OBSERVATION_CODES[reading.kind]
    category = "vital-signs" if reading.kind in VITAL_SIGNS else "laboratory"
    interpretation, interpretation_display = INTERPRETATION[reading.flag]
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            _concept(
                f"{TERMINOLOGY}/observation-category",
                category,
                "Vital Signs" if category == "vital-signs" else "Laboratory",
            )
        ],
        "code": _concept(LOINC_SYSTEM, code, display, reading.get_kind_display()),
        "subject": {"reference": subject},
        "effectiveDateTime": _instant(reading.measured_at),
        "interpretation": [
            _concept(
                f"{TERMINOLOGY}/v3-ObservationInterpretation",
                interpretation,
                interpretation_display,
            )
        ],
    }
    if reading.kind == Reading.Kind.BLOOD_PRESSURE:
        resource["component"] = [
            {
                "code": _concept(LOINC_SYSTEM, "8480-6", "Systolic blood pressure"),
                "valueQuantity": _quantity(reading.value, reading.unit),
            },
            {
                "code": _concept(LOINC_SYSTEM, "8462-4", "Diastolic blood pressure"),
                "valueQuantity": _quantity(reading.value2 or Decimal(0), reading.unit),
            },
        ]
    else:
        resource["valueQuantity"] = _quantity(reading.value, reading.unit)
    if reading.note:
        resource["note"] = [{"text": reading.note}]
    return resource


def _encounter(consultation: Consultation, subject: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "status": ENCOUNTER_STATUS[consultation.status],
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "VR",
            "display": "virtual",
        },
        "subject": {"reference": subject},
        "serviceType": {"text": consultation.department.name},
    }
    period = {}
    if consultation.opened_at:
        period["start"] = _instant(consultation.opened_at)
    if consultation.closed_at:
        period["end"] = _instant(consultation.closed_at)
    if period:
        resource["period"] = period
    if consultation.doctor is not None:
        resource["participant"] = [{"individual": {"display": consultation.doctor.name}}]
    diagnoses = list(consultation.diagnoses.all())
    if diagnoses:
        resource["reasonCode"] = [
            _concept(ICD10_SYSTEM, d.code, d.description or d.code) for d in diagnoses
        ]
    return resource


ADJUDICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/adjudication"
CLAIM_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claim-type"
ITEM_CODE_SYSTEM = "urn:xinglin:insurance-item"
PROVIDER_DISPLAY = "Xinglin internet hospital 杏林互联网医院"


def _money(fen: int) -> dict[str, Any]:
    return {"value": _number(Decimal(fen) / 100), "currency": "CNY"}


def _adjudication(code: str, fen: int) -> dict[str, Any]:
    return {
        "category": {"coding": [{"system": ADJUDICATION_SYSTEM, "code": code}]},
        "amount": _money(fen),
    }


def _explanation_of_benefit(eob: ExplanationOfBenefits, subject: str) -> dict[str, Any]:
    """Submitted is what was billed, eligible what the rules could cover, benefit what the
    payers paid (pool, personal account and commercial plan), copay what is left to the
    patient; the reasons travel as process notes of their lines."""
    is_pharmacy = all(line.category.startswith("drug") for line in eob.lines)
    notes: list[dict[str, Any]] = []
    items = []
    for sequence, line in enumerate(eob.lines, start=1):
        note_numbers = []
        for reason in line.reasons:
            notes.append({"number": len(notes) + 1, "type": "display", "text": reason})
            note_numbers.append(len(notes))
        benefit = line.social_pool_fen + line.account_fen + line.commercial_fen
        item: dict[str, Any] = {
            "sequence": sequence,
            "productOrService": _concept(
                ITEM_CODE_SYSTEM, line.code, line.description, text=line.description
            ),
            "servicedDate": line.service_date.isoformat(),
            "net": _money(line.billed_fen),
            "adjudication": [
                _adjudication("submitted", line.billed_fen),
                _adjudication("eligible", line.eligible_fen),
                _adjudication("benefit", benefit),
                _adjudication("copay", line.patient_fen),
            ],
        }
        if note_numbers:
            item["noteNumber"] = note_numbers
        items.append(item)
    benefit_total = eob.insurer_fen + eob.account_fen
    resource: dict[str, Any] = {
        "resourceType": "ExplanationOfBenefit",
        "identifier": [{"system": f"urn:xinglin:insurance-{eob.kind}", "value": str(eob.pk)}],
        "status": "active",
        "type": _concept(
            CLAIM_TYPE_SYSTEM,
            "pharmacy" if is_pharmacy else "professional",
            "Pharmacy" if is_pharmacy else "Professional",
        ),
        "use": "claim",
        "patient": {"reference": subject},
        "created": _instant(eob.created_at),
        "insurer": {"display": " / ".join(eob.payers)},
        "provider": {"display": PROVIDER_DISPLAY},
        "outcome": "complete",
        "disposition": eob.status,
        "insurance": [
            {"focal": index == 0, "coverage": {"display": plan}}
            for index, plan in enumerate(eob.plans)
        ],
        "item": items,
        "total": [
            {
                "category": {"coding": [{"system": ADJUDICATION_SYSTEM, "code": "submitted"}]},
                "amount": _money(eob.billed_fen),
            },
            {
                "category": {"coding": [{"system": ADJUDICATION_SYSTEM, "code": "benefit"}]},
                "amount": _money(benefit_total),
            },
            {
                "category": {"coding": [{"system": ADJUDICATION_SYSTEM, "code": "copay"}]},
                "amount": _money(eob.patient_fen),
            },
        ],
        "payment": {
            "amount": _money(benefit_total),
            "date": timezone.localdate(eob.created_at).isoformat(),
        },
    }
    if notes:
        resource["processNote"] = notes
    return resource


def patient_fhir_bundle(*, summary: Any) -> dict[str, Any]:
    """The Bundle for a record summary (records.selectors.patient_record_summary),
    with every reading from its recent window and the latest of each kind."""
    patient = summary.patient
    subject = _urn("Patient", patient.pk)
    entries: list[tuple[str, dict[str, Any]]] = [(subject, _patient(patient))]
    entries += [(_urn("Condition", c.pk), _condition(c, subject)) for c in summary.conditions]
    entries += [(_urn("AllergyIntolerance", a.pk), _allergy(a, subject)) for a in summary.allergies]
    readings = {r.pk: r for r in [*summary.latest_readings, *summary.recent_readings]}
    entries += [
        (_urn("Observation", r.pk), _observation(r, subject))
        for r in sorted(readings.values(), key=lambda r: (r.measured_at, r.pk), reverse=True)
    ]
    entries += [
        (_urn("Encounter", c.pk), _encounter(c, subject))
        for c in summary.consultations
        if c.status != Consultation.Status.CANCELLED
    ]
    entries += [
        (_urn(f"ExplanationOfBenefit/{eob.kind}", eob.pk), _explanation_of_benefit(eob, subject))
        for eob in benefit_explanations_for_patient(patient_id=patient.pk)
    ]
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": _instant(timezone.now())},
        "type": "collection",
        "timestamp": _instant(timezone.now()),
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }
