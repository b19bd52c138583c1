"""Walks the access log chain and reports the first entry that breaks it."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from audit.models import AccessLogEntry


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    sequence: int
    reason: str

    def __str__(self) -> str:
        return f"access log entry id={self.entry_id} (sequence {self.sequence}): {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def access_log_verify(*, chunk_size: int = 2000) -> ChainReport:
    """Checks every entry in chain order: no gap in the sequence (a removed entry), each links
    to its predecessor's HMAC (a removed or inserted entry), and each HMAC matches its content
    (a changed entry)."""
    expected_sequence = 1
    previous_hmac = ""
    checked = 0
    for entry in AccessLogEntry.objects.order_by("sequence").iterator(chunk_size=chunk_size):
        checked += 1
        if entry.sequence != expected_sequence:
            reason = (
                f"expected sequence {expected_sequence}; the entries between are missing"
                if entry.sequence > expected_sequence
                else f"expected sequence {expected_sequence}; this entry was inserted"
            )
            return ChainReport(checked, ChainBreak(entry.pk, entry.sequence, reason))
        if not hmac.compare_digest(entry.previous_hmac, previous_hmac):
            return ChainReport(
                checked,
                ChainBreak(
                    entry.pk,
                    entry.sequence,
                    "does not link to the entry before it (an entry was removed or inserted)",
                ),
            )
        if not hmac.compare_digest(entry.entry_hmac, entry.compute_hmac()):
            return ChainReport(
                checked,
                ChainBreak(
                    entry.pk, entry.sequence, "its content does not match its HMAC (changed)"
                ),
            )
        previous_hmac = entry.entry_hmac
        expected_sequence += 1
    return ChainReport(checked, None)
