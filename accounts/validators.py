"""PRC resident identity card number (居民身份证号码, GB 11643-1999)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
# Full-width digits and X, as some input methods type them, are the same characters.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX")


def resident_id_check_character(first_17_digits: str) -> str:
    total = sum(
        int(digit) * weight for digit, weight in zip(first_17_digits, _WEIGHTS, strict=True)
    )
    return _CHECK_CHARACTERS[total % 11]


def resident_id_birth_date(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def resident_id_sex(number: str) -> str:
    """The 17th digit is odd for men and even for women."""
    return "male" if int(number[16]) % 2 else "female"


def normalize_resident_id(value: str) -> str:
    return (value or "").strip().translate(_FULL_WIDTH).upper()


def validate_resident_id(value: str) -> None:
    number = normalize_resident_id(value)
    # ASCII only: str.isdigit() also admits digits such as "²" that int() cannot read.
    if (
        len(number) != 18
        or not number.isascii()
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        raise ValidationError(
            _("A resident ID number has 18 characters: 17 digits and a digit or X."),
            code="resident_id_format",
        )
    try:
        birth_date = resident_id_birth_date(number)
    except ValueError:
        raise ValidationError(
            _("The birth date inside this resident ID number is not a real date."),
            code="resident_id_birth_date",
        ) from None
    if birth_date.year < 1900 or birth_date > dt.date.today():  # noqa: DTZ011 - a calendar date
        raise ValidationError(
            _("The birth date inside this resident ID number is out of range."),
            code="resident_id_birth_date",
        )
    if resident_id_check_character(number[:17]) != number[17]:
        raise ValidationError(
            _("This resident ID number's check digit is wrong; please check it for typos."),
            code="resident_id_checksum",
        )


def mask_resident_id(value: str) -> str:
    """Shown everywhere except to the account that owns it: 1101**********123X."""
    if not value:
        return ""
    return (
        f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}" if len(value) > 8 else "*" * len(value)
    )
