"""Amounts are kept in fen; pages show them as yuan."""

from django import template

from insurance.reasons import yuan as fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    return f"¥{fen_to_yuan(fen or 0)}"
