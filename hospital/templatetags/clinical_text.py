"""Clinical words on a page in the reader's language: diagnosis titles, drug forms, routes and
units, decision-support severities and kinds.

What is stored is a code or the text of the moment it was written; these filters render it when
the page is read, so a Chinese page shows no English system words and an English page no Chinese.
"""

from __future__ import annotations

from typing import Any

from django import template

from hospital.icd10 import icd10_display
from hospital.prescriptions.labels import (
    dosage_form_label,
    finding_kind_label,
    finding_management,
    finding_message,
    route_label,
    severity_label,
    unit_label,
)

register = template.Library()


@register.filter
def diagnosis_title(diagnosis: Any) -> str:
    """A condition (icd10_code) or a consultation diagnosis (code) with its stored title."""
    code = getattr(diagnosis, "icd10_code", None) or getattr(diagnosis, "code", "")
    return icd10_display(str(code), str(getattr(diagnosis, "description", "") or ""))


register.filter("dosage_form", dosage_form_label)
register.filter("route", route_label)
register.filter("unit", unit_label)
register.filter("severity", severity_label)
register.filter("finding_kind", finding_kind_label)
register.filter("finding_message", finding_message)
register.filter("finding_management", finding_management)
