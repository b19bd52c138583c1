import re
import sys

import pytest

from core.pdf import PdfRenderingUnavailable, html_to_pdf, plain_text_pdf


def test_html_renders_to_a_pdf_with_chinese_text():
    pdf = html_to_pdf('<p style="font-family: WenQuanYi Micro Hei">处方笺 杏林互联网医院</p>')
    assert pdf.startswith(b"%PDF")


def test_without_the_rendering_library_a_pdf_is_a_clear_503(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as on a server without Pango
    with pytest.raises(PdfRenderingUnavailable) as refusal:
        html_to_pdf("<p>x</p>")
    assert refusal.value.status_code == 503
    assert "Pango" in refusal.value.message


def test_plain_text_pdf_is_well_formed():
    pdf = plain_text_pdf(["Outpatient record (demo)", "Diagnoses: E11.9; I10"])
    assert pdf.startswith(b"%PDF-1.4")
    assert pdf.rstrip().endswith(b"%%EOF")
    xref_at = int(re.search(rb"startxref\n(\d+)", pdf).group(1))
    assert pdf[xref_at:].startswith(b"xref")
    offsets = [int(n) for n in re.findall(rb"(\d{10}) 00000 n", pdf)]
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(b"%d 0 obj" % number)
    assert b"(Outpatient record \\(demo\\)) '" in pdf
