"""ICD-10 titles in the reader's language: the Chinese list is sound and falls back to WHO."""

import csv
from pathlib import Path

import pytest
from django.utils import translation

from hospital.icd10 import icd10_description, icd10_display, icd10_is_valid, icd10_title

TITLES = Path(__file__).resolve().parents[2] / "hospital" / "data" / "icd10_zh.csv"


def rows() -> list[dict[str, str]]:
    with TITLES.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_row_is_a_valid_code_with_both_titles():
    seen = set()
    for row in rows():
        assert icd10_is_valid(row["code"]), row["code"]
        assert row["code"] not in seen, row["code"]
        seen.add(row["code"])
        assert row["title_zh"].strip(), row["code"]
        assert row["title_en"] == icd10_description(row["code"]), row["code"]


@pytest.mark.parametrize(
    "code",
    # The demo data, the tests and the common outpatient and chronic categories.
    [
        "I10",
        "I11",
        "I15",
        "E10",
        "E11",
        "E11.9",
        "E14",
        "E78",
        "J00",
        "J02.9",
        "J06.9",
        "J44",
        "J45",
        "J45.9",
        "K21",
        "K29",
        "N18.3",
        "O24.4",
        "M10",
        "I25",
        "I48",
        "I50",
    ],
)
def test_common_codes_have_a_chinese_title(code):
    assert icd10_title(code, language="zh-hans") != icd10_title(code, language="en")


def test_title_follows_the_language():
    assert icd10_title("e119", language="zh-hans") == "2型糖尿病不伴有并发症"
    assert icd10_title("E11.9", language="en") == "Type 2 diabetes mellitus without complications"
    with translation.override("zh-hans"):
        assert icd10_title("I10") == "特发性（原发性）高血压"


def test_code_without_a_chinese_title_falls_back_to_who():
    assert icd10_title("Z99.9", language="zh-hans") == icd10_description("Z99.9")
    assert icd10_title("nope", language="zh-hans") == ""


def test_stored_list_titles_render_in_the_reader_language_and_typed_ones_stay():
    english = icd10_description("I10")
    with translation.override("zh-hans"):
        assert icd10_display("I10", english) == "特发性（原发性）高血压"
        assert icd10_display("I10", "") == "特发性（原发性）高血压"
        assert icd10_display("I10", "高血压2级，很高危") == "高血压2级，很高危"
    with translation.override("en"):
        assert icd10_display("I10", "特发性（原发性）高血压") == english
