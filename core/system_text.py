"""Messages the system writes for people, kept so that each reader reads them in their language.

A system message (a line in a consultation chat, an inbox notification) is stored as the English
source of its translation (the msgid) with its parameters, beside the text rendered at the time;
a page renders the msgid again with gettext when it is read. Write the msgid with `gettext_noop`
so that it stays in the translation catalogue:

    system_text(gettext_noop("Dr. %(name)s has joined."), name=doctor.name)

Rows from before (no msgid) and a msgid whose parameters no longer fit show the stored text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, override


@dataclass(frozen=True)
class SystemText:
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return system_text_render(self.msgid, self.params, fallback=self.msgid)


def system_text(msgid: str, **params: Any) -> SystemText:
    """Parameters are stored as JSON: names, numbers and ids as they are; a phrase that must be
    translated too (a status label) given as a SystemText is stored as its msgid."""
    return SystemText(msgid, {name: _plain(value) for name, value in params.items()})


def system_label(label: Any) -> SystemText:
    """A choice label (a lazy translation) as a parameter rendered in the reader's language."""
    with override("en"):  # the source language: English renders a msgid as itself
        return SystemText(str(label))


def _plain(value: Any) -> Any:
    if isinstance(value, SystemText):
        return {"msgid": value.msgid, "params": value.params}
    return value if isinstance(value, int | float | bool) or value is None else str(value)


def _rendered(value: Any) -> Any:
    if isinstance(value, dict) and "msgid" in value:
        return system_text_render(str(value["msgid"]), value.get("params"), fallback="")
    return value


def system_text_render(msgid: str, params: Mapping[str, Any] | None, *, fallback: str) -> str:
    """`msgid` translated into the active language with `params`; `fallback` when there is no
    msgid or the stored parameters do not fill it."""
    if not msgid:
        return fallback
    translated = gettext(msgid)
    if not params:
        return translated
    try:
        return translated % {name: _rendered(value) for name, value in params.items()}
    except (KeyError, TypeError, ValueError):
        return fallback
