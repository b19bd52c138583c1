"""Measuring devices paired to a patient (the glucose-meter pattern): the account shows a
short-lived pairing code, the device exchanges it once for its own token, then sends readings
with that token until the account revokes it. Codes and tokens are kept only as digests."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import Conflict, DomainError, NotFound
from hospital.records.models import Device, DevicePairingCode, Reading, RecordSource
from hospital.records.services.entries import ACCOUNT, record_entry_log, record_writer
from hospital.records.services.readings import reading_create, reading_measurement

PAIRING_CODE_LIFETIME = dt.timedelta(minutes=10)
# Crockford's alphabet without the letters people misread (I, L, O, U): 8 characters are
# 40 bits, far beyond what the pairing endpoint's rate limit lets anyone try in 10 minutes.
PAIRING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAIRING_CODE_LENGTH = 8


class DeviceNotAuthorised(DomainError):
    status_code = 401
    code = "device_not_authorised"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _normalised_code(code: str) -> str:
    # As a person types it off the screen: any case, with spaces or dashes between groups.
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def device_pairing_code_create(*, actor: Any, patient_id: int) -> tuple[DevicePairingCode, str]:
    """A new pairing code for one of the account's patient profiles; returns it with the code in
    clear, which is shown once. Only the account holding the profile may pair a device to it."""
    patient, reason = record_writer(
        actor=actor, patient_id=patient_id, action="create", object_type="devicepairingcode"
    )
    if reason != ACCOUNT:
        raise NotFound(_("Patient not found."))
    code = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))
    pairing = DevicePairingCode.objects.create(
        patient=patient,
        created_by=actor,
        code_digest=_digest(code),
        expires_at=timezone.now() + PAIRING_CODE_LIFETIME,
    )
    return pairing, code


@transaction.atomic
def device_pair(*, code: str, name: str, serial_number: str = "") -> tuple[Device, str]:
    """The device's side of pairing: a valid, unused code becomes the device's own token
    (returned in clear once). A code works once and only within its lifetime."""
    name = (name or "").strip()[:80]
    if not name:
        raise DomainError(_("Give the device a name."), field="name")
    pairing = (
        DevicePairingCode.objects.select_for_update()
        .select_related("patient")
        .filter(code_digest=_digest(_normalised_code(code)))
        .first()
    )
    if pairing is None or pairing.used_at is not None or pairing.expires_at <= timezone.now():
        raise DomainError(
            _("This pairing code is not valid; show a new one on the health record page."),
            field="code",
        )
    pairing.used_at = timezone.now()
    pairing.save(update_fields=["used_at"])
    token = secrets.token_urlsafe(32)
    device = Device.objects.create(
        patient=pairing.patient,
        paired_by=pairing.created_by,
        name=name,
        serial_number=(serial_number or "").strip()[:80],
        token_digest=_digest(token),
    )
    record_entry_log(pairing.created_by, pairing.patient, "create", device, "paired")
    return device, token


def device_for_token(token: str) -> Device:
    """The active device a token belongs to; a missing, unknown or revoked token is refused."""
    device = (
        Device.objects.select_related("patient", "paired_by")
        .filter(token_digest=_digest(token or ""), revoked_at__isnull=True)
        .first()
    )
    if not token or device is None:
        raise DeviceNotAuthorised(_("This device is not paired, or its pairing was revoked."))
    return device


def device_revoke(*, actor: Any, device_id: int) -> Device:
    """Ends a device's pairing at once: its token no longer sends anything. Its readings stay."""
    device = Device.objects.filter(pk=device_id).first()
    if device is None:
        raise NotFound(_("Device not found."))
    patient, reason = record_writer(
        actor=actor,
        patient_id=device.patient_id,
        action="update",
        object_type="device",
        object_id=device_id,
    )
    if reason != ACCOUNT:
        raise NotFound(_("Device not found."))
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.save(update_fields=["revoked_at"])
        record_entry_log(actor, patient, "update", device, "revoked")
    return device


def _same_reading(reading: Reading, kind: str, value: Any, value2: Any, at: dt.datetime) -> bool:
    return (
        reading.kind == kind
        and reading.value == value
        and reading.value2 == value2
        and reading.measured_at == at
    )


def device_reading_record(
    *,
    device: Device,
    reading_id: str,
    kind: str,
    value: Any,
    value2: Any = None,
    measured_at: dt.datetime | None = None,
) -> tuple[Reading, bool]:
    """A reading a paired device sent, onto its patient's record. Idempotent by the device's own
    id for the reading: sent again, the same reading is returned (False: nothing new); the
    same id with other figures is refused. Returns the reading and whether it is new."""
    reading_id = (reading_id or "").strip()
    if not reading_id or len(reading_id) > 64:
        raise DomainError(
            _("Give the device's id of the reading (up to 64 characters)."), field="reading_id"
        )
    if measured_at is None:
        raise DomainError(_("Give the time of the measurement."), field="measured_at")
    measurement = reading_measurement(
        patient=device.patient, kind=kind, value=value, value2=value2, measured_at=measured_at
    )
    existing = Reading.objects.filter(device=device, device_reading_id=reading_id).first()
    if existing is None:
        try:
            with transaction.atomic():
                reading = reading_create(
                    patient=device.patient,
                    measurement=measurement,
                    source=RecordSource.DEVICE,
                    recorded_by=device.paired_by,
                    note=device.name,
                    device=device,
                    device_reading_id=reading_id,
                )
                Device.objects.filter(pk=device.pk).update(last_seen_at=timezone.now())
                record_entry_log(device.paired_by, device.patient, "create", reading, "device")
            return reading, True
        except IntegrityError:
            # The same reading sent twice at once: the other request wrote it.
            existing = Reading.objects.get(device=device, device_reading_id=reading_id)
    m = measurement
    if not _same_reading(existing, m.kind, m.value, m.value2, m.measured_at):
        raise Conflict(
            _("This device already sent a different reading under this id."),
            code="reading_id_reused",
        )
    return existing, False
