"""How the medication schedule reminds: the one place that hands reminders to notifications.

Each dose books its reminders ahead as scheduled notices, sent by the notifications scan when
due: one at the dose's time ("dose:<id>:0") and, for a dose the doctor marked important, a
repeat every MEDICATION_IMPORTANT_REPEAT_EVERY up to MEDICATION_IMPORTANT_REPEATS times
("dose:<id>:1" …). Taking or skipping the dose, or its window closing, cancels what is left;
a snooze cancels them and books the same series from the snooze's end ("dose:<id>:s<n>:…").
A dedupe key is never sent twice, so booking again (a retried start) changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy, gettext_noop

from core.system_text import SystemText, system_text
from hospital.prescriptions.schedule.models import MedicationDose, MedicationSchedule
from hospital.prescriptions.schedule.times import local_zone
from hospital.rules import figure
from notifications.channels import recipient_language
from notifications.kinds import kind_register
from notifications.services import (
    notification_remind,
    notification_schedule,
    notification_schedule_cancel,
)

kind_register("hospital.medication_dose", gettext_lazy("Medication reminder"))


def reminder_send(
    *,
    recipient: Any,
    kind: str,
    subject: SystemText,
    body: SystemText,
    dedupe_key: str,
    link: str = "",
    now: dt.datetime | None = None,
) -> None:
    """One reminder to one person now, once per dedupe key: in their language, and held to
    the end of their quiet hours like every other reminder."""
    notification_remind(
        recipient=recipient,
        kind=kind,
        subject=subject,
        body=body,
        dedupe_key=dedupe_key,
        link=link,
        now=now,
    )


# (snoozed, with instructions) → the reminder's text.
DOSE_BODIES = {
    (False, False): gettext_noop("%(patient)s: %(dose)s of %(drug)s, due at %(time)s."),
    (True, False): gettext_noop("%(patient)s: %(dose)s of %(drug)s, due at %(time)s (snoozed)."),
    (False, True): gettext_noop(
        "%(patient)s: %(dose)s of %(drug)s, due at %(time)s. %(instructions)s"
    ),
    (True, True): gettext_noop(
        "%(patient)s: %(dose)s of %(drug)s, due at %(time)s (snoozed). %(instructions)s"
    ),
}


def _drug_name(schedule: MedicationSchedule) -> str:
    """The drug's name in the patient's chosen language, looked up once per schedule object:
    a new schedule plans the reminders of all its doses at once."""
    name = getattr(schedule, "_drug_name_for_patient", None)
    if name is None:
        with translation.override(recipient_language(schedule.patient.account_id)):
            name = schedule.drug.display_name
        schedule._drug_name_for_patient = name  # type: ignore[attr-defined]
    return name


def _dose_text(dose: MedicationDose, schedule: MedicationSchedule) -> tuple[SystemText, SystemText]:
    """The reminder's texts by their sources, so each reader gets them in their language (the
    inbox in the page's, SMS and WeChat in the one the patient chose). The drug's name is
    taken in the patient's chosen language: it is not in the catalogues."""
    due = timezone.localtime(dose.due_at, local_zone()).strftime("%H:%M")
    drug = _drug_name(schedule)
    params = {
        "patient": schedule.patient.real_name,
        "dose": schedule.dose_text,
        "drug": drug,
        "time": due,
    }
    if schedule.instructions:
        params["instructions"] = schedule.instructions
    body = DOSE_BODIES[(dose.snoozed_until is not None, bool(schedule.instructions))]
    return (
        system_text(gettext_noop("Time to take %(drug)s"), drug=drug),
        system_text(body, **params),
    )


def _key_prefix(dose_id: int) -> str:
    # The trailing colon keeps dose 1's prefix from matching dose 12's keys.
    return f"dose:{dose_id}:"


def dose_reminder_plan(
    dose: MedicationDose, *, schedule: MedicationSchedule, snoozed: bool = False
) -> None:
    """Books the dose's reminders from its time, or from the snooze's end."""
    first_at = dose.snoozed_until if snoozed and dose.snoozed_until else dose.due_at
    if snoozed:
        notification_schedule_cancel(dedupe_key_prefix=_key_prefix(dose.pk))
        dose.snooze_count += 1
        dose.save(update_fields=["snooze_count"])
    series = f"s{dose.snooze_count}:" if snoozed else ""
    closes_at = dose.due_at + figure("MEDICATION_DOSE_MISSED_AFTER")
    repeats = figure("MEDICATION_IMPORTANT_REPEATS") if schedule.is_important else 0
    every: dt.timedelta = figure("MEDICATION_IMPORTANT_REPEAT_EVERY")
    subject, body = _dose_text(dose, schedule)
    link = reverse("hospital:medications") + f"#dose-{dose.pk}"
    for number in range(repeats + 1):
        at = first_at + every * number
        if at >= closes_at:
            break  # past the window the dose is missed: a reminder would be no use
        notification_schedule(
            recipient=schedule.patient.account,
            kind="hospital.medication_dose",
            due_at=at,
            subject=subject,
            body=body,
            dedupe_key=f"{_key_prefix(dose.pk)}{series}{number}",
            link=link,
            # The patient keeps these times themselves (they may move them): a dose at 22:00
            # or 06:00 is reminded then, not held back by quiet hours.
            critical=True,
        )


def dose_reminders_cancel(dose_ids: Sequence[int]) -> None:
    """Taken, skipped, missed or moved doses: their unsent reminders are withdrawn."""
    for dose_id in dose_ids:
        notification_schedule_cancel(dedupe_key_prefix=_key_prefix(dose_id))
