"""PDF documents (visit summaries, prescriptions, receipts) rendered from ordinary templates.

WeasyPrint needs the system's Pango library (Debian: libpango-1.0-0, libpangoft2-1.0-0) and a
CJK font (fonts-wqy-microhei). Where they are missing the rest of the system still runs, and
asking for a PDF answers 503 with a clear message instead of failing at start-up.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from core.exceptions import DomainError


class PdfRenderingUnavailable(DomainError):
    status_code = 503
    code = "pdf_unavailable"


def html_to_pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:  # OSError: the Pango library could not be loaded
        raise PdfRenderingUnavailable(
            "PDF rendering is not available on this server (install Pango and a CJK font)."
        ) from error
    return HTML(string=html).write_pdf()


def pdf_attachment(pdf: bytes, *, filename: str, inline: bool = False) -> HttpResponse:
    """A health document as a download: never kept by a browser or a proxy cache."""
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def pdf_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For a page that answers with a PDF: where this server cannot render one, the person is
    told so (503) instead of meeting a server error. The API's views answer the same refusal
    as JSON through the API's error handler."""

    @functools.wraps(view)
    def wrapper(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PdfRenderingUnavailable:
            response = HttpResponse(
                _(
                    "The PDF cannot be made on this server at the moment; "
                    "the page shows the same document."
                ),
                status=503,
                content_type="text/plain; charset=utf-8",
            )
            response["Cache-Control"] = "private, no-store"
            return response

    return wrapper


def plain_text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF of ASCII lines, built by hand: for demo documents on a server without
    Pango. Real documents always go through html_to_pdf."""
    text_ops = ["BT", "/F1 12 Tf", "72 760 Td", "16 TL"]
    for line in lines:
        safe = line.encode("ascii", "replace").decode().replace("\\", "\\\\")
        safe = safe.replace("(", "\\(").replace(")", "\\)")
        text_ops.append(f"({safe}) '")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref_at = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return body
