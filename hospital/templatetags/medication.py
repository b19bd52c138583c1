"""Template helpers of the medication schedule: adherence as a percentage, and the adherence
panel on the treating doctor's side of a consultation."""

from __future__ import annotations

from typing import Any

from django import template

from core.exceptions import NotFound
from hospital.prescriptions.schedule.adherence import patient_adherence, percent
from hospital.records.access import record_access_check

register = template.Library()


@register.filter(name="percent")
def percent_filter(value: Any) -> str:
    return percent(value)


@register.inclusion_tag("hospital/prescriptions/_adherence_panel.html", takes_context=True)
def adherence_panel(context: template.Context, consultation: Any) -> dict[str, Any]:
    try:
        patient = record_access_check(
            user=context["request"].user,
            patient_id=consultation.patient_id,
            action="read",
            object_type="medication_adherence",
            object_id=consultation.patient_id,
        )
    except NotFound:
        return {"adherence": None}
    return {"adherence": patient_adherence(patient_id=patient.pk), "patient": patient}
