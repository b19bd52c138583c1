"""Amounts are kept in fen; pages show them as yuan."""

from django import template
from django.utils.translation import gettext_lazy as _

from insurance.reasons import yuan as fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    return f"¥{fen_to_yuan(fen or 0)}"


# What a provider's expense reference ("pharmacy_order:12:3", "appointment:40") names, as the
# patient knows it: the kind of expense and its number. An unknown kind is shown as written.
EXPENSE_KINDS = {
    "pharmacy_order": _("Pharmacy order %(number)s"),
    "appointment": _("Consultation booking %(number)s"),
    "house_call": _("House call %(number)s"),
    "expert_request": _("Expert appointment %(number)s"),
}


@register.filter
def expense(reference: str | None) -> str:
    kind, _colon, rest = str(reference or "").partition(":")
    number = rest.split(":", 1)[0]
    if kind in EXPENSE_KINDS and number.isdigit():
        return str(EXPENSE_KINDS[kind]) % {"number": number}
    return str(reference or "")


@register.filter
def catalogue_code(code: str | None) -> str:
    """A line's national catalogue code (XC08CAA017A001…) to print beside it; a service type
    (outpatient-visit) or a formulary code (losartan-50mg-tab) is already named by the line's
    description."""
    text = str(code or "")
    return text if text.isalnum() and text.isascii() and text.isupper() else ""
