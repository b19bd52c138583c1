"""Walks the access log chain and reports the first entry that breaks it.

The chain shows a changed, removed or inserted entry, but not the newest entries removed all
together: what is left is still a whole chain. Checkpoints close that gap. Each hour the head of
the chain (its sequence and HMAC) is written to the application log, which is shipped off the
database host; verifying against checkpoints taken from there shows whether entries up to them
still stand.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from audit.models import AccessLogEntry


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int | None  # None: the entry is gone
    sequence: int
    reason: str

    def __str__(self) -> str:
        if self.entry_id is None:
            return f"access log sequence {self.sequence}: {self.reason}"
        return f"access log entry id={self.entry_id} (sequence {self.sequence}): {self.reason}"


@dataclass(frozen=True)
class Checkpoint:
    """The head of the chain at some moment, as the hourly checkpoint logged it."""

    sequence: int
    entry_hmac: str

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """From "SEQUENCE:HMAC", as the checkpoint log line gives them."""
        sequence, _, entry_hmac = text.strip().partition(":")
        if not sequence.isdigit() or int(sequence) < 1 or not entry_hmac:
            raise ValueError(f"a checkpoint is SEQUENCE:HMAC, not {text!r}")
        return cls(int(sequence), entry_hmac)

    def __str__(self) -> str:
        return f"{self.sequence}:{self.entry_hmac}"


def access_log_head() -> Checkpoint | None:
    """The newest entry of the chain as a checkpoint (None while the log is empty)."""
    head = AccessLogEntry.objects.order_by("-sequence").values("sequence", "entry_hmac").first()
    return Checkpoint(head["sequence"], head["entry_hmac"]) if head else None


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def access_log_verify(
    *, checkpoints: Iterable[Checkpoint] = (), chunk_size: int = 2000
) -> ChainReport:
    """Checks every entry in chain order: no gap in the sequence (a removed entry), each links
    to its predecessor's HMAC (a removed or inserted entry), and each HMAC matches its content
    (a changed entry). Then each checkpoint's entry must still be there with the same HMAC
    (else the newest entries were removed, or the chain rewritten from there)."""
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
    for checkpoint in sorted(checkpoints, key=lambda c: c.sequence):
        found = (
            AccessLogEntry.objects.filter(sequence=checkpoint.sequence)
            .values_list("pk", "entry_hmac")
            .first()
        )
        if found is None:
            reason = (
                f"missing, though checkpoint {checkpoint} saw it: the newest entries were removed"
            )
            return ChainReport(checked, ChainBreak(None, checkpoint.sequence, reason))
        if not hmac.compare_digest(found[1], checkpoint.entry_hmac):
            reason = f"differs from checkpoint {checkpoint}: the chain was rewritten from here"
            return ChainReport(checked, ChainBreak(found[0], checkpoint.sequence, reason))
    return ChainReport(checked, None)
