"""Factories and helpers for prescriptions: a doctor in an open follow-up consultation with
diagnoses on record, the formulary loaded, and drafts written through the services."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import factory
from django.utils import timezone

from hospital.consultations.models import ConsultationDiagnosis
from hospital.prescriptions.decision_support.knowledge import FORMULARY_FILE
from hospital.prescriptions.decision_support.knowledge_files import knowledge_dir
from hospital.prescriptions.models import FormularyDrug, Prescription
from hospital.prescriptions.services import prescribing, signing
from hospital.prescriptions.services.formulary import formulary_load
from tests.hospital.record_factories import ConsultationFactory


def load_formulary() -> None:
    if not FormularyDrug.objects.exists():
        formulary_load()


def formulary_rows() -> list[dict[str, str]]:
    """The drugs of the shipped formulary file, as its CSV rows."""
    with open(knowledge_dir() / FORMULARY_FILE, encoding="utf-8-sig", newline="") as handle:
        return [r for r in csv.DictReader(handle) if not r["code"].startswith("#")]


def formulary_file(folder: Path, rows: list[dict[str, str]]) -> Path:
    """A formulary file of these rows (same columns as the shipped one) in `folder`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(formulary_rows()[0].keys()))
    writer.writeheader()
    writer.writerows(rows)
    path = folder / "formulary.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


class PrescribingConsultationFactory(ConsultationFactory):
    """An open consultation recorded as a follow-up, with hypertension and type 2 diabetes
    diagnosed in it."""

    qualifies_as_follow_up = True

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def diagnoses(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        for index, code in enumerate(extracted if extracted is not None else ("I10", "E11.9")):
            ConsultationDiagnosis.objects.create(
                consultation=self,
                code=code,
                description=code,
                is_primary=index == 0,
                recorded_by=self.doctor.user,
            )


def item(
    drug_code: str = "amlodipine-5mg-tab",
    *,
    dose: str = "5",
    dose_unit: str = "mg",
    frequency: str = "QD",
    duration_days: int = 7,
    quantity_packs: int = 1,
    route: str = "oral",
    instructions: str = "",
) -> prescribing.ItemInput:
    return prescribing.ItemInput(
        drug_code=drug_code,
        dose=Decimal(dose),
        dose_unit=dose_unit,
        frequency=frequency,
        duration_days=duration_days,
        quantity_packs=quantity_packs,
        route=route,
        instructions=instructions,
    )


def item_payload(**overrides: Any) -> dict[str, Any]:
    data = {
        "drug_code": "amlodipine-5mg-tab",
        "dose": "5",
        "dose_unit": "mg",
        "route": "oral",
        "frequency": "QD",
        "duration_days": 7,
        "quantity_packs": 1,
        "instructions": "",
    }
    data.update(overrides)
    return data


def content(*items: prescribing.ItemInput, **kwargs: Any) -> prescribing.PrescriptionContent:
    return prescribing.PrescriptionContent(
        items=list(items) or [item()],
        diagnosis_codes=kwargs.pop("diagnosis_codes", ["I10"]),
        **kwargs,
    )


def draft(consultation: Any = None, *items: prescribing.ItemInput, **kwargs: Any) -> Prescription:
    load_formulary()
    consultation = consultation or PrescribingConsultationFactory()
    return prescribing.prescription_create(
        doctor_user=consultation.doctor.user,
        consultation_id=consultation.pk,
        content=content(*items, **kwargs),
    )


def sign(prescription: Prescription, **kwargs: Any) -> Prescription:
    """Signs as the doctor who has just confirmed a second factor (a TOTP code is good only
    once, so helpers that sign several times use the session's confirmation instead)."""
    kwargs.setdefault("mfa_verified_at", timezone.now())
    return signing.prescription_sign(
        doctor_user=prescription.doctor.user, prescription_id=prescription.pk, **kwargs
    )


def signed(consultation: Any = None, *items: prescribing.ItemInput, **kwargs: Any) -> Prescription:
    return sign(draft(consultation, *items, **kwargs))
