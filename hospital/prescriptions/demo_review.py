"""Demo of the pharmacist's side: for the demo patient's completed visit, prescriptions in every
reviewed state — approved (the shop sells against it), rejected with a reason, expired — and a
pending renewal request on the approved one. The prescribing demo leaves one waiting for review.
Idempotent.

The prescriptions are written and signed through the prescribing services as the demo doctor
during that visit (open only while they are written, as it was at the time) and reviewed
through the review services by the demo pharmacist, so every rule runs as for real ones. Only
the expired one is backdated: it was issued a month ago.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError
from hospital.consultations.models import Consultation
from hospital.prescriptions.models import Prescription, PrescriptionFinding
from hospital.prescriptions.services import prescribing, signing
from hospital.prescriptions.services.interventions import finding_intervention_record
from hospital.prescriptions.services.renewals import renewal_request_create
from hospital.prescriptions.services.review import (
    prescription_approve,
    prescription_reject,
    prescriptions_expire_due,
)
from hospital.prescriptions.signature import prescription_signature

DEMO_DOCTOR_EMAIL = "doctor@xinglin.test"
DEMO_PATIENT_EMAIL = "patient@xinglin.test"
DEMO_PHARMACIST_EMAIL = "pharmacist@xinglin.test"
OVERRIDE_REASON = "长期稳定用药，已告知患者监测。"
# Every demo prescription here is a 28-day supply, which states why (处方管理办法 article 19).
LONG_TERM_REASON = "慢性病病情稳定，长期规律用药，定期随访。"


def _item(code: str, dose: str, frequency: str, days: int, packs: int, note: str) -> Any:
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


def _signed(consultation: Consultation, items: list[Any], codes: list[str]) -> Prescription:
    doctor_user = consultation.doctor.user  # type: ignore[union-attr]
    draft = prescribing.prescription_create(
        doctor_user=doctor_user,
        consultation_id=consultation.pk,
        content=prescribing.PrescriptionContent(
            items=items, diagnosis_codes=codes, long_term_reason=LONG_TERM_REASON
        ),
    )
    reasons = {
        f.rule_id: OVERRIDE_REASON
        for f in draft.findings.all()
        if f.severity in ("major", "contraindicated")
    }
    return signing.prescription_sign(
        doctor_user=doctor_user,
        prescription_id=draft.pk,
        mfa_verified_at=timezone.now(),
        override_reasons=reasons,
    )


def _write(consultation: Consultation, pharmacist: Any) -> list[Prescription]:
    approved = _signed(
        consultation,
        [_item("amlodipine-5mg-tab", "5", "QD", 28, 1, "每日早晨服用")],
        ["I10"],
    )
    rejected = _signed(
        consultation,
        [_item("atorvastatin-20mg-tab", "20", "QN", 28, 1, "睡前服用")],
        ["I10"],
    )
    expired = _signed(
        consultation,
        [_item("metformin-500mg-tab", "500", "BID", 28, 2, "随餐服用")],
        ["E11.9"],
    )
    prescription_approve(pharmacist=pharmacist, prescription_id=approved.pk)
    prescription_reject(
        pharmacist=pharmacist,
        prescription_id=rejected.pk,
        reason=Prescription.ReviewReason.INDICATION,
        comment="诊断中无血脂异常（E78），请补充诊断或说明用药指征。",
    )
    prescription_approve(pharmacist=pharmacist, prescription_id=expired.pk)
    return [approved, rejected, expired]


def _answer_pending_warning(consultation: Consultation, pharmacist: Any) -> None:
    """The pharmacist answers the warning on the prescription still waiting for review (the
    prescribing demo's enalapril with spironolactone): monitoring agreed with the doctor."""
    finding = (
        PrescriptionFinding.objects.filter(
            prescription__consultation=consultation,
            prescription__status=Prescription.Status.PENDING_REVIEW,
            intervention__isnull=True,
        )
        .exclude(severity="info")
        .order_by("pk")
        .first()
    )
    if finding is None:
        return
    finding_intervention_record(
        pharmacist=pharmacist,
        prescription_id=finding.prescription_id,
        finding_id=finding.pk,
        outcome="changed",
        note="已与医生电话确认：用药1周后复查血钾和肌酐。",
    )


def seed_review_demo(*, stdout: Any) -> None:
    pharmacist = get_user_model().objects.filter(email=DEMO_PHARMACIST_EMAIL).first()
    consultation = (
        Consultation.objects.filter(
            doctor__user__email=DEMO_DOCTOR_EMAIL,
            patient__account__email=DEMO_PATIENT_EMAIL,
            status=Consultation.Status.CLOSED,
            qualifies_as_follow_up=True,
        )
        .select_related("doctor", "doctor__user", "patient", "patient__account")
        .order_by("pk")
        .first()
    )
    if pharmacist is None or consultation is None:
        stdout.write("  skipped the review demo: no demo pharmacist or completed consultation")
        return
    if Prescription.objects.filter(consultation=consultation, reviewed_by=pharmacist).exists():
        stdout.write("  kept the reviewed demo prescriptions")
        return
    closed = {"status": consultation.status, "closed_at": consultation.closed_at}
    try:
        with transaction.atomic():
            Consultation.objects.filter(pk=consultation.pk).update(status=Consultation.Status.OPEN)
            consultation.refresh_from_db()
            try:
                approved, _rejected, expired = _write(consultation, pharmacist)
            finally:
                Consultation.objects.filter(pk=consultation.pk).update(**closed)
            month_ago = timezone.localdate() - dt.timedelta(days=30)
            # Stands for a prescription signed a month ago: its signature covers those dates.
            backdated = Prescription.objects.get(pk=expired.pk)
            backdated.issued_on = month_ago
            backdated.valid_until = month_ago + dt.timedelta(days=2)
            backdated.signature = prescription_signature(backdated)
            backdated.save(update_fields=["issued_on", "valid_until", "signature"])
            prescriptions_expire_due()
            renewal_request_create(
                account=consultation.patient.account,
                prescription_id=approved.pk,
                note="降压药快吃完了，血压控制稳定。",
            )
            _answer_pending_warning(consultation, pharmacist)
    except DomainError as error:
        stdout.write(f"  skipped the review demo: {error.message}")
        return
    stdout.write(
        "  reviewed demo prescriptions: one approved (with a renewal request), one rejected, "
        "one expired"
    )
