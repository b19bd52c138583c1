"""Template tags through which a page of a lower room shows part of the health record.

The consultation room sits below the record (the record's access rule asks about
consultations), so its page cannot import the record; its template asks for the panel here.
"""

from __future__ import annotations

from typing import Any

from django import template

from hospital.records.pages import consultation_record_panel

register = template.Library()


@register.inclusion_tag("hospital/records/_consultation_panel.html", takes_context=True)
def record_panel(context: template.Context, consultation: Any) -> dict[str, Any]:
    return consultation_record_panel(request=context["request"], consultation=consultation)
