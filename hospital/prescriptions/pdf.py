"""The prescription as a printable PDF (处方笺), in the usual layout of a Chinese prescription.

Rendered by WeasyPrint from an ordinary template (user text autoescaped), with the CJK font
"WenQuanYi Micro Hei". The QR code opens the public verification page (no login), so whoever
holds the paper, an outside pharmacy included, can check that it is genuine, unaltered and still
valid.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from audit.services import access_log_for_request
from core.pdf import html_to_pdf, pdf_attachment
from hospital.prescriptions.models import Prescription
from hospital.prescriptions.signature import prescription_verify_token


def qr_code_data_uri(text: str) -> str:
    import qrcode

    image = qrcode.make(text, box_size=4, border=1)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def prescription_pdf_context(prescription: Prescription, *, verify_url: str) -> dict[str, Any]:
    from hospital.icd10 import icd10_description
    from hospital.prescriptions.services.findings import patient_age_years

    today = prescription.issued_on or timezone.localdate()
    age = patient_age_years(prescription.patient, today)
    diagnoses = {
        d.code: d.description for d in prescription.consultation.diagnoses.all() if d.description
    }
    return {
        "rx": prescription,
        "items": list(prescription.items.select_related("drug").order_by("position", "id")),
        "age_years": int(age),
        "age_months": int(age * 12) if age < 1 else None,
        "diagnoses": [
            (code, diagnoses.get(code) or icd10_description(code))
            for code in prescription.diagnosis_codes
        ],
        "verify_url": verify_url,
        "qr_code": qr_code_data_uri(verify_url),
        "generated_at": timezone.localtime(),
    }


def prescription_pdf_bytes(prescription: Prescription, *, verify_url: str) -> bytes:
    html = render_to_string(
        "hospital/prescriptions/prescription_pdf.html",
        prescription_pdf_context(prescription, verify_url=verify_url),
    )
    return html_to_pdf(html)


def prescription_public_verify_url(request: Any, prescription: Prescription) -> str:
    """The address the QR code carries: the public check of this prescription."""
    token = prescription_verify_token(prescription)
    return request.build_absolute_uri(
        reverse("hospital:prescription-public-verify", kwargs={"token": token})
    )


def prescription_pdf_response(request: Any, prescription: Prescription) -> HttpResponse:
    """The PDF for a viewer the caller has already cleared; logged as an export."""
    pdf = prescription_pdf_bytes(
        prescription, verify_url=prescription_public_verify_url(request, prescription)
    )
    access_log_for_request(
        request,
        patient_id=prescription.patient_id,
        object_type="prescription",
        object_id=prescription.pk,
        action="export",
        detail="prescription PDF",
    )
    return pdf_attachment(pdf, filename=f"prescription-{prescription.pk}.pdf")
