"""7101: an approved prescription's circulation uploaded to the medical-insurance centre, and
its results (7102-7105). Hospital calls it with codes and names only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from insurance import selectors
from insurance.gateway import (
    PrescriptionLine,
    PrescriptionResult,
    PrescriptionUploadRequest,
    get_gateway,
)
from insurance.models import PrescriptionUpload


@transaction.atomic
def prescription_circulation_upload(
    *,
    reference: str,
    patient_id: int,
    diagnoses: list[str],
    lines: list[dict[str, Any]],  # {"code": our item code, "name": ..., "quantity": packs}
    doctor_name: str,
    doctor_signature: str,
    pharmacist_name: str,
    pharmacist_signature: str,
) -> PrescriptionUpload | None:
    """Uploads once (a redelivered task does nothing twice). None when the patient has no
    social scheme in force: there is nothing to circulate to the centre."""
    done = PrescriptionUpload.objects.filter(reference=reference).first()
    if done is not None:
        return done
    today = timezone.localdate()
    social = next(
        (
            p
            for p in selectors.policies_in_force(patient_id=patient_id, on=today)
            if p.plan.is_social
        ),
        None,
    )
    if social is None:
        return None
    national = selectors.national_drug_codes(codes=[line["code"] for line in lines], on=today)
    request = PrescriptionUploadRequest(
        hosp_rxno=reference,
        psn_no=social.member_number,
        diagnoses=tuple(diagnoses),
        lines=tuple(
            PrescriptionLine(
                med_list_codg=national.get(line["code"], ""),
                drug_name=line["name"],
                quantity=int(line["quantity"]),
            )
            for line in lines
        ),
        doctor_name=doctor_name,
        doctor_signature=doctor_signature,
        pharmacist_name=pharmacist_name,
        pharmacist_signature=pharmacist_signature,
    )
    result = get_gateway().prescription_upload(request)
    return PrescriptionUpload.objects.create(
        reference=reference,
        hi_rxno=result.hi_rxno,
        status=result.status,
        payload={
            "psn_no": request.psn_no,
            "diagnoses": list(request.diagnoses),
            "lines": [
                {"med_list_codg": x.med_list_codg, "drug_name": x.drug_name, "quantity": x.quantity}
                for x in request.lines
            ],
            "doctor_name": doctor_name,
            "doctor_signature": doctor_signature,
            "pharmacist_name": pharmacist_name,
            "pharmacist_signature": pharmacist_signature,
            "uploaded_on": dt.date.isoformat(today),
        },
    )


def prescription_circulation_results(*, reference: str) -> PrescriptionResult:
    """7102-7105: what the centre says of the uploaded prescription."""
    return get_gateway().prescription_results(hosp_rxno=reference)
