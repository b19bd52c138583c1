"""The referral letter (转诊单) a patient takes to the partner hospital: a PDF in the usual
bilingual layout of our documents, with the CJK font (see core.pdf)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from audit.services import access_log_for_request
from core.pdf import html_to_pdf, pdf_attachment
from hospital.consultations.models import Referral


def referral_letter_context(referral: Referral) -> dict[str, Any]:
    patient = referral.patient
    issued_on = timezone.localtime(referral.created_at).date()
    return {
        "referral": referral,
        "patient": patient,
        "age_years": int((issued_on - patient.birth_date).days / 365.25),
        "diagnoses": list(referral.consultation.diagnoses.all()),
        "issued_on": issued_on,
        "generated_at": timezone.localtime(),
    }


def referral_letter_pdf_bytes(referral: Referral) -> bytes:
    html = render_to_string(
        "hospital/consultations/referral_letter_pdf.html", referral_letter_context(referral)
    )
    return html_to_pdf(html)


def referral_letter_response(request: Any, referral: Referral) -> HttpResponse:
    """The letter for a viewer the caller has already cleared; logged as an export."""
    pdf = referral_letter_pdf_bytes(referral)
    access_log_for_request(
        request,
        patient_id=referral.patient_id,
        object_type="referral",
        object_id=referral.pk,
        action="export",
        detail="referral letter PDF",
    )
    return pdf_attachment(pdf, filename=f"referral-{referral.letter_number}.pdf")
