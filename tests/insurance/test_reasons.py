"""Every reason the engine gives has a sentence a patient can read, in their language."""

import re

import pytest
from django.utils import translation

from insurance.adjudication import ReasonCode
from insurance.reasons import reason_sentence


@pytest.mark.parametrize("code", list(ReasonCode))
def test_each_reason_reads_in_chinese_and_in_english(code):
    with translation.override("zh-hans"):
        chinese = reason_sentence(code, 123_456)
    with translation.override("en"):
        english = reason_sentence(code, 123_456)
    assert "¥1234.56" in chinese
    assert "¥1234.56" in english
    assert not re.search(r"[A-Za-z]{3,}", chinese), chinese
    assert not re.search(r"[\u4e00-\u9fff]", english), english


def test_a_reason_from_a_newer_version_is_shown_rather_than_failing():
    assert reason_sentence("new_rule", 5) == "new_rule: ¥0.05"
