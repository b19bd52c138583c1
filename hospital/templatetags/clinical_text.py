"""Clinical words on a page in the reader's language: diagnosis titles, drug forms, routes and
units, decision-support severities and kinds.

What is stored is a code or the text of the moment it was written; these filters render it when
the page is read, so a Chinese page shows no English system words and an English page no Chinese.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.apps import apps
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from hospital.icd10 import icd10_display
from hospital.prescriptions.labels import (
    dosage_form_label,
    finding_kind_label,
    finding_management,
    finding_message,
    frequency_label,
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
register.filter("frequency", frequency_label)
register.filter("severity", severity_label)
register.filter("finding_kind", finding_kind_label)
register.filter("finding_message", finding_message)
register.filter("finding_management", finding_management)


# What the access log names a part of the record by: the code it is written with → its label.
# Codes that are a model's name are labelled by the model's verbose name (below).
_RECORD_PARTS = {
    "record": _("health record"),
    "health_record": _("health record"),
    "chronic_panel": _("chronic care overview"),
    "fhir_bundle": _("record export (FHIR)"),
    "consultation_attachment": _("consultation attachment"),
    "consultation_message": _("consultation message"),
    "renewal_request": _("renewal request"),
    "pharmacy_order": _("pharmacy order"),
    "house_call": _("house call"),
}


@register.filter
def record_part(object_type: str) -> str:
    """An access log entry's `object_type` as the patient reads it."""
    code = str(object_type or "")
    if code in _RECORD_PARTS:
        return capfirst(str(_RECORD_PARTS[code]))
    app_label, _dot, model_name = code.rpartition(".")
    for label in [app_label] if app_label else ["hospital", "accounts", "pharmacy"]:
        try:
            model = apps.get_model(label, model_name)
        except LookupError:
            continue
        return capfirst(str(model._meta.verbose_name))
    return code
