"""Demo prescriptions: the formulary, and for the demo patient's completed visit with the demo
doctor a draft and a signed prescription waiting for review (with an interaction the doctor
overrode with a reason). Idempotent.

They are written through the prescribing services as the demo doctor's own requests during
that visit, so every rule and decision-support check runs exactly as for a real prescription;
the visit is open only for as long as the doctor writes them, as it was at the time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from hospital.consultations.models import Consultation
from hospital.prescriptions.models import Prescription
from hospital.prescriptions.services import prescribing, signing
from hospital.prescriptions.services.formulary import formulary_load

DEMO_DOCTOR_EMAIL = "doctor@xinglin.test"
DEMO_PATIENT_EMAIL = "patient@xinglin.test"
OVERRIDE_REASON = "难治性高血压，合用小剂量螺内酯；1 周后复查血钾和肌酐。"
# A supply over 7 days states why (处方管理办法 article 19).
LONG_TERM_REASON = "2 型糖尿病，二甲双胍剂量稳定 6 个月，血糖控制达标，规律随访。"


def _item(code: str, dose: str, frequency: str, days: int, packs: int, note: str):
    return prescribing.ItemInput(
        drug_code=code,
        dose=Decimal(dose),
        dose_unit="mg",
        frequency=frequency,
        duration_days=days,
        quantity_packs=packs,
        route="oral",
        instructions=note,
    )


def _write(consultation: Consultation, stdout: Any) -> None:
    doctor_user = consultation.doctor.user  # type: ignore[union-attr]
    prescribing.prescription_create(
        doctor_user=doctor_user,
        consultation_id=consultation.pk,
        content=prescribing.PrescriptionContent(
            items=[_item("metformin-500mg-tab", "500", "BID", 28, 2, "随餐服用")],
            diagnosis_codes=["E11.9"],
            long_term_reason=LONG_TERM_REASON,
        ),
    )
    pending = prescribing.prescription_create(
        doctor_user=doctor_user,
        consultation_id=consultation.pk,
        content=prescribing.PrescriptionContent(
            items=[
                _item("enalapril-10mg-tab", "10", "QD", 7, 1, "早晨服用"),
                _item("spironolactone-20mg-tab", "20", "QD", 7, 1, "早晨服用"),
            ],
            diagnosis_codes=["I10"],
        ),
    )
    reasons = {
        f.rule_id: OVERRIDE_REASON
        for f in pending.findings.all()
        if f.severity in ("major", "contraindicated")
    }
    signing.prescription_sign(
        doctor_user=doctor_user,
        prescription_id=pending.pk,
        mfa_verified_at=timezone.now(),
        override_reasons=reasons,
    )
    stdout.write("  created a draft and a signed prescription waiting for review")


def seed_prescription_demo(*, stdout: Any) -> None:
    result = formulary_load()
    stdout.write(
        f"  formulary: {len(result.created)} created, {len(result.updated)} updated, "
        f"{result.unchanged} unchanged"
    )
    consultation = (
        Consultation.objects.filter(
            doctor__user__email=DEMO_DOCTOR_EMAIL,
            patient__account__email=DEMO_PATIENT_EMAIL,
            status=Consultation.Status.CLOSED,
            qualifies_as_follow_up=True,
        )
        .select_related("doctor", "patient")
        .order_by("pk")
        .first()
    )
    if consultation is None:
        stdout.write("  skipped demo prescriptions: no completed demo consultation")
        return
    if Prescription.objects.filter(consultation=consultation).exists():
        stdout.write("  kept the demo prescriptions")
        return
    closed = {"status": consultation.status, "closed_at": consultation.closed_at}
    with transaction.atomic():
        Consultation.objects.filter(pk=consultation.pk).update(status=Consultation.Status.OPEN)
        consultation.refresh_from_db()
        try:
            _write(consultation, stdout)
        finally:
            Consultation.objects.filter(pk=consultation.pk).update(**closed)
