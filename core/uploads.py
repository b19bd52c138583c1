"""Uploaded files recognised by their first bytes. Credential scans, consultation attachments
and medical documents share this one check; the file's name and declared type are not trusted."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.utils.translation import gettext as _

from core.exceptions import DomainError

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
)


class UploadTooLarge(DomainError):
    """A file over its limit (413, like a body over the request limit)."""

    status_code = 413
    code = "too_large"


def _sniff(head: bytes) -> str | None:
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def upload_content_type(
    upload: Any,
    *,
    allowed: Collection[str],
    max_bytes: int,
    field: str,
    too_large: str,
    wrong_type: str,
    wrong_type_code: str | None = None,
) -> str:
    """The upload's real content type, one of `allowed`, or a DomainError in the caller's words.

    `too_large` may use %(mb)s for the limit. The size is checked first, so an oversized file is
    refused without being read.
    """
    size = getattr(upload, "size", None)
    if size is None or size > max_bytes:
        raise UploadTooLarge(too_large % {"mb": max_bytes // (1024 * 1024)}, field=field)
    if size == 0:
        raise DomainError(_("The file is empty."), field=field)
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = _sniff(head)
    if content_type is None or content_type not in allowed:
        raise DomainError(wrong_type, field=field, code=wrong_type_code)
    return content_type
