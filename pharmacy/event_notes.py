"""The notes an order's history keeps, said in the reader's language.

The services write a note as a short English code, some with a parameter ("paid", "not paid in
time", "refused by pharmacist: <what the pharmacist wrote>"); the history is read in Chinese and
in English, so the note is translated when shown, never when written. Notes from before, and
anything a person typed, are shown as they are.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from pharmacy.models import Order


def _fixed_notes() -> dict[str, str]:
    return {
        "checkout": _("Order placed"),
        "paid": _("Paid"),
        "nothing to pay": _("Nothing to pay: insurance covers it all"),
        "verified": _("Checked by the pharmacist"),
        "not paid in time": _("Not paid in time"),
        "cancelled by the buyer": _("Cancelled by the buyer"),
        "cancelled by an operator": _("Cancelled by an operator"),
        "order cancelled": _("Order cancelled"),
    }


_REFUSED = re.compile(r"^refused by pharmacist: (?P<note>.*)$", re.S)
_RETURNED = re.compile(r"^returned (?P<quantity>\d+) × (?P<product>.*?): (?P<reason>.*)$", re.S)
_COMPLAINT = re.compile(r"^complaint: (?P<text>.*)$", re.S)


def order_event_note(note: str) -> str:
    text = (note or "").strip()
    if not text:
        return ""
    fixed = _fixed_notes().get(text)
    if fixed:
        return fixed
    if match := _REFUSED.match(text):
        return _("Refused by the pharmacist: %(note)s") % {"note": match["note"]}
    if match := _RETURNED.match(text):
        return _("Returned %(quantity)s × %(product)s: %(reason)s") % match.groupdict()
    if match := _COMPLAINT.match(text):
        return _("Complaint: %(text)s") % {"text": match["text"]}
    return text


def order_status_label(status: str) -> str:
    """The label of a status code as stored in the history; an unknown code as it is."""
    try:
        return str(Order.Status(status).label)
    except ValueError:
        return status
