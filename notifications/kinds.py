"""The kinds of notification the platform sends, so inbox, admin and (later) preferences can
name them. A kind is a free dotted key; apps register theirs with `kind_register`."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NotificationKind:
    key: str
    label: str | Promise
    # Whether the person may turn this kind off (a safety notice may not be).
    optional: bool = True


KINDS: dict[str, NotificationKind] = {}


def kind_register(key: str, label: str | Promise, *, optional: bool = True) -> NotificationKind:
    kind = NotificationKind(key=key, label=label, optional=optional)
    KINDS[key] = kind
    return kind


def kind_label(key: str) -> str:
    kind = KINDS.get(key)
    return str(kind.label) if kind else key


kind_register("general", _("General"))
kind_register("operations.alert", _("Operations alert"), optional=False)
