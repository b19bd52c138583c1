"""The visit summary a patient takes away: the page's context and its PDF."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import access_log_for_request
from core.exceptions import Conflict
from core.pdf import html_to_pdf, pdf_attachment
from hospital.consultations.models import Consultation


def summary_context(consultation: Consultation) -> dict[str, Any]:
    return {
        "consultation": consultation,
        "diagnoses": list(consultation.diagnoses.all()),
        "generated_at": timezone.now(),
    }


def summary_pdf_bytes(consultation: Consultation) -> bytes:
    html = render_to_string(
        "hospital/consultations/summary_pdf.html", summary_context(consultation)
    )
    return html_to_pdf(html)


def summary_pdf_response(request: Any, consultation: Consultation) -> HttpResponse:
    """The PDF of a closed consultation's visit summary, logged as an export."""
    if consultation.status != Consultation.Status.CLOSED:
        raise Conflict(
            _("The visit summary is ready once the consultation has ended."), code="not_closed"
        )
    pdf = summary_pdf_bytes(consultation)
    access_log_for_request(
        request,
        patient_id=consultation.patient_id,
        object_type="consultation",
        object_id=consultation.pk,
        action="export",
        detail="visit summary PDF",
    )
    return pdf_attachment(pdf, filename=f"visit-summary-{consultation.pk}.pdf")
