from __future__ import annotations

from django.utils import timezone

from audit.models import AccessLogEntry
from audit.services import access_log_record


def record_entries(
    count: int, *, actor=None, patient_id: int | None = None
) -> list[AccessLogEntry]:
    """Appends `count` entries through the service, as the application does."""
    return [
        access_log_record(
            actor=actor,
            patient_id=patient_id,
            object_type="hospital.Allergy",
            object_id=f"A{index}",
            action=AccessLogEntry.Action.READ,
        )
        for index in range(count)
    ]


def chained_entries_bulk(count: int) -> None:
    """Appends `count` entries chained exactly as access_log_record chains them, written in a
    few bulk INSERTs: a log of years of reads in seconds. Only for an empty or intact log."""
    last = AccessLogEntry.objects.order_by("-sequence").first()
    sequence, previous_hmac = (last.sequence, last.entry_hmac) if last else (0, "")
    now = timezone.now()
    entries = []
    for index in range(count):
        sequence += 1
        entry = AccessLogEntry(
            sequence=sequence,
            previous_hmac=previous_hmac,
            occurred_at=now,
            actor_role="doctor",
            object_type="hospital.Consultation",
            object_id=str(index),
            action=AccessLogEntry.Action.READ,
            outcome=AccessLogEntry.Outcome.SUCCESS,
        )
        entry.entry_hmac = entry.compute_hmac()
        previous_hmac = entry.entry_hmac
        entries.append(entry)
    AccessLogEntry.objects.bulk_create(entries, batch_size=2000)
