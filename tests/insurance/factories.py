"""Insurance data the tests set up as an operator would in the admin."""

from __future__ import annotations

import datetime as dt

from insurance.models import DrugCodeMapping


def national_code_mapped(*codes: str) -> None:
    """对码 for our item codes, in force from 2024: without it a drug is self-paid."""
    for code in codes:
        DrugCodeMapping.objects.get_or_create(
            item_code=code,
            valid_from=dt.date(2024, 1, 1),
            defaults={"national_code": f"X{code.upper()[:10]}", "national_name": code},
        )
