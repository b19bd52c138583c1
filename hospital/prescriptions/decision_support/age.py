"""A patient's age as findings print it: whole years, or years and months under 2 (as a
paediatric prescription states it, 处方管理办法: 新生儿、婴幼儿写日、月龄), never a decimal."""

from __future__ import annotations

import math

# Ages are computed as days / 365.25; this absorbs the float error at a whole month or year.
_EPSILON = 1e-6


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def age_in_words(age_years: float) -> tuple[str, str]:
    """The age in English and in Chinese: "10 years" / "10岁"; "1 year 6 months" / "1岁6个月";
    "5 months" / "5个月"; "12 days" / "12天"."""
    if age_years >= 2:
        years = math.floor(age_years + _EPSILON)
        return _plural(years, "year", "years"), f"{years}岁"
    months = math.floor(age_years * 12 + _EPSILON)
    if months < 1:
        days = max(math.floor(age_years * 365.25 + _EPSILON), 0)
        return _plural(days, "day", "days"), f"{days}天"
    years, months = divmod(months, 12)
    if not years:
        return _plural(months, "month", "months"), f"{months}个月"
    if not months:
        return "1 year", "1岁"
    return f"1 year {_plural(months, 'month', 'months')}", f"1岁{months}个月"
