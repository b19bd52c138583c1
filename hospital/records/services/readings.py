"""Readings (glucose, blood pressure, ...): recorded by the patient, a doctor or a device, flagged
against their range, alerting the treating doctor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.exceptions import DomainError, NotFound
from core.system_text import system_label, system_text
from hospital.records.access import (
    treating_doctor_user_ids,
)
from hospital.records.models import (
    READING_ALERT_KIND,
    Reading,
    RecordSource,
)
from hospital.records.services.entries import (
    as_decimal,
    check_may_change,
    check_plausible,
    entry_source,
    record_entry_log,
    record_writer,
)
from hospital.rules import figure
from notifications.kinds import kind_register
from notifications.services import notification_send

# The patient's own notice of an out-of-range reading a device sent: a caregiver the account
# holder chose for it gets a copy (notifications.Caregiver).
DEVICE_READING_ALERT_KIND = kind_register(
    "hospital.device_reading_out_of_range", gettext_lazy("A device reading out of range")
).key


def _flag_against(value: Decimal, limits: dict[str, str]) -> str:
    def beyond(name: str, compare: Any) -> bool:
        return name in limits and compare(value, Decimal(limits[name]))

    if beyond("critical_low", Decimal.__lt__) or beyond("critical_high", Decimal.__ge__):
        return Reading.Flag.CRITICAL
    if beyond("low", Decimal.__lt__):
        return Reading.Flag.LOW
    if beyond("high", Decimal.__gt__):
        return Reading.Flag.HIGH
    return Reading.Flag.NORMAL


_FLAG_ORDER: list[str] = [
    Reading.Flag.NORMAL,
    Reading.Flag.LOW,
    Reading.Flag.HIGH,
    Reading.Flag.CRITICAL,
]


def reading_flag(*, kind: str, value: Decimal, value2: Decimal | None = None) -> str:
    """The out-of-range flag of a reading by the thresholds in rules (HOSPITAL_READING_THRESHOLDS).

    Blood pressure takes the worse of systolic and diastolic: 150/85 is high, 185/95 critical.
    Weight and height have no range of their own.
    """
    thresholds = figure("READING_THRESHOLDS")
    if kind == Reading.Kind.BLOOD_PRESSURE:
        flags = [_flag_against(value, thresholds.get("systolic", {}))]
        if value2 is not None:
            flags.append(_flag_against(value2, thresholds.get("diastolic", {})))
        return max(flags, key=lambda flag: _FLAG_ORDER.index(flag))
    return _flag_against(value, thresholds.get(kind, {}))


def reading_record(
    *,
    actor: Any,
    patient_id: int,
    kind: str,
    value: Any,
    value2: Any = None,
    measured_at: dt.datetime | None = None,
    note: str = "",
) -> Reading:
    """A measurement, flagged by the thresholds in rules. An out-of-range one tells the doctors
    who currently treat the patient (after commit, once per reading and doctor)."""
    patient, reason = record_writer(
        actor=actor, patient_id=patient_id, action="create", object_type="reading"
    )
    measurement = reading_measurement(
        patient=patient, kind=kind, value=value, value2=value2, measured_at=measured_at
    )
    with transaction.atomic():
        reading = reading_create(
            patient=patient,
            measurement=measurement,
            note=note,
            source=entry_source(reason),
            recorded_by=actor,
        )
        record_entry_log(actor, patient, "create", reading, reason)
    return reading


@dataclass(frozen=True)
class Measurement:
    kind: str
    value: Decimal
    value2: Decimal | None
    measured_at: dt.datetime


def reading_measurement(
    *, patient: Any, kind: str, value: Any, value2: Any, measured_at: dt.datetime | None
) -> Measurement:
    """A measurement checked as a reading of this patient: a known kind, plausible values, a
    time with its zone that is neither in the future nor before the patient was born."""
    if kind not in Reading.Kind.values:
        raise DomainError(_("Choose what was measured."), field="kind")
    number = as_decimal(value, "value")
    second: Decimal | None = None
    if kind == Reading.Kind.BLOOD_PRESSURE:
        if value2 in (None, ""):
            raise DomainError(_("Enter the diastolic pressure."), field="value2")
        second = as_decimal(value2, "value2")
        check_plausible("systolic", number, "value")
        check_plausible("diastolic", second, "value2")
        if second >= number:
            raise DomainError(
                _("The diastolic pressure must be lower than the systolic."), field="value2"
            )
    else:
        if value2 not in (None, ""):
            raise DomainError(_("Only blood pressure has a second value."), field="value2")
        check_plausible(kind, number, "value")
    now = timezone.now()
    measured_at = measured_at or now
    if timezone.is_naive(measured_at):
        raise DomainError(_("Give the time with its time zone."), field="measured_at")
    if measured_at > now + dt.timedelta(minutes=5):
        raise DomainError(_("The time cannot be in the future."), field="measured_at")
    if timezone.localtime(measured_at).date() < patient.birth_date:
        raise DomainError(_("The time cannot be before the patient was born."), field="measured_at")
    return Measurement(kind=kind, value=number, value2=second, measured_at=measured_at)


def reading_create(
    *,
    patient: Any,
    measurement: Measurement,
    source: str,
    recorded_by: Any,
    note: str = "",
    device: Any = None,
    device_reading_id: str = "",
) -> Reading:
    """Writes a checked measurement, flagged by the thresholds in rules; an out-of-range one
    tells the treating doctors after commit. Inside the caller's transaction."""
    m = measurement
    reading = Reading.objects.create(
        patient=patient,
        kind=m.kind,
        value=m.value,
        value2=m.value2,
        unit=Reading.UNITS[m.kind],
        measured_at=m.measured_at,
        flag=reading_flag(kind=m.kind, value=m.value, value2=m.value2),
        note=(note or "").strip()[:200],
        source=source,
        recorded_by=recorded_by,
        device=device,
        device_reading_id=device_reading_id,
    )
    if reading.is_out_of_range:
        reading_id = reading.pk
        transaction.on_commit(lambda: reading_alert_notify(reading_id=reading_id))
    return reading


def reading_mark_entered_in_error(*, actor: Any, patient_id: int, reading_id: int) -> Reading:
    patient, reason = record_writer(
        actor=actor,
        patient_id=patient_id,
        action="update",
        object_type="reading",
        object_id=reading_id,
    )
    with transaction.atomic():
        reading = Reading.objects.select_for_update().filter(pk=reading_id, patient=patient).first()
        if reading is None:
            raise NotFound(_("No such reading on this record."))
        if reading.status == Reading.Status.ENTERED_IN_ERROR:
            return reading
        check_may_change(reason, reading.source)
        reading.status = Reading.Status.ENTERED_IN_ERROR
        reading.save(update_fields=["status"])
        record_entry_log(actor, patient, "update", reading, "entered_in_error")
    return reading


def reading_alert_notify(*, reading_id: int) -> int:
    """Tells each doctor who may open the patient's record now that a reading is out of range.
    Safe to run twice: one notification per reading and doctor (dedupe key). Returns how many
    doctors were told."""
    reading = Reading.objects.select_related("patient").filter(pk=reading_id).first()
    if reading is None or not reading.is_out_of_range or reading.status != Reading.Status.FINAL:
        return 0
    doctor_user_ids = treating_doctor_user_ids(patient_id=reading.patient_id)
    doctors = get_user_model().objects.filter(pk__in=doctor_user_ids, is_active=True)
    told = 0
    for doctor_user in doctors:
        if doctor_user.pk == reading.recorded_by_id:
            continue
        notification_send(
            recipient=doctor_user,
            kind=READING_ALERT_KIND,
            subject=_("%(patient)s: %(kind)s out of range")
            % {"patient": reading.patient.real_name, "kind": reading.get_kind_display()},
            body=_("%(kind)s %(value)s %(unit)s (%(flag)s), measured %(at)s.")
            % {
                "kind": reading.get_kind_display(),
                "value": reading.display_value,
                "unit": reading.unit,
                "flag": reading.get_flag_display(),
                "at": timezone.localtime(reading.measured_at).strftime("%Y-%m-%d %H:%M"),
            },
            dedupe_key=f"reading-alert:{reading.pk}:{doctor_user.pk}",
            link="/doctor/chronic-care/",
            # Health data stays in the inbox, behind login, not in an email.
            send_email=False,
        )
        told += 1
    if reading.source == RecordSource.DEVICE:
        _device_reading_alert_to_account(reading)
    return told


def _device_reading_alert_to_account(reading: Reading) -> None:
    """A device measures without anyone reading its screen: the account that paired it is
    told, in its own language, and its caregivers get a copy if the account chose so."""
    notification_send(
        recipient=reading.patient.account,
        kind=DEVICE_READING_ALERT_KIND,
        subject=system_text(
            gettext_noop("%(patient)s: %(kind)s out of range"),
            patient=reading.patient.real_name,
            kind=system_label(reading.get_kind_display()),
        ),
        body=system_text(
            gettext_noop(
                "%(kind)s %(value)s %(unit)s (%(flag)s), measured %(at)s by a paired device. "
                "The treating doctor has been told."
            ),
            kind=system_label(reading.get_kind_display()),
            value=reading.display_value,
            unit=reading.unit,
            flag=system_label(reading.get_flag_display()),
            at=timezone.localtime(reading.measured_at).strftime("%Y-%m-%d %H:%M"),
        ),
        dedupe_key=f"device-reading-alert:{reading.pk}",
        link=f"/patients/{reading.patient_id}/record/",
        # Health data stays in the inbox, behind login; only a caregiver the account holder
        # chose for these gets a copy by SMS.
        send_email=False,
    )
