"""Conditions for database check constraints shared by the apps."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, Value
from django.db.models.expressions import Combinable

# Half a fen. PostgreSQL compares NUMERIC exactly; SQLite (the embedded default) does decimal
# arithmetic in binary floating point, where 115.50 - 92.40 is not 23.10. Amounts are whole
# fen, so "within half a fen" is exact equality on PostgreSQL and survives SQLite's rounding.
HALF_FEN = Value(Decimal("0.005"))


def amount_is(field: str, expression: Combinable) -> Q:
    """`field` equals the money `expression` (both in yuan with two decimals)."""
    return Q(**{f"{field}__gte": expression - HALF_FEN}) & Q(
        **{f"{field}__lte": expression + HALF_FEN}
    )
