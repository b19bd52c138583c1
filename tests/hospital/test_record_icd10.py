import pytest

from core.exceptions import DomainError
from hospital.icd10 import icd10_description, icd10_validate, icd10_validate_list


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("E11.9", "E11.9"), ("e11.9 ", "E11.9"), ("e119", "E11.9"), ("I10", "I10"), (" j45 ", "J45")],
)
def test_valid_codes_are_normalised(typed, expected):
    assert icd10_validate(typed) == expected


@pytest.mark.parametrize("typed", ["", "   ", "XYZ", "E11.99", "E10-E14", "IV", "I10.0", "E11.9;"])
def test_invalid_codes_raise_a_field_error(typed):
    with pytest.raises(DomainError) as caught:
        icd10_validate(typed, field="icd10_code")
    assert caught.value.field == "icd10_code"
    assert caught.value.message


def test_description_and_list():
    assert icd10_description("e11.9") == "Type 2 diabetes mellitus without complications"
    assert icd10_description("nope") == ""
    assert icd10_validate_list(["E11.9", "e119", "I10"]) == ["E11.9", "I10"]
