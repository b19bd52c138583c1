from __future__ import annotations

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
