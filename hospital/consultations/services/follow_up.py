"""Follow-up reminders: on the date the doctor set for the next visit, the patient is reminded
with a link that books the same doctor. Sent once per consultation ("followup:<id>"), in the
patient's language, after their quiet hours if the morning run falls in them."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from core.system_text import system_text
from hospital.consultations.models import Consultation
from hospital.rules import figure
from notifications.kinds import kind_register
from notifications.services import notification_remind

kind_register("hospital.follow_up_due", gettext_lazy("Follow-up visit due"))


def follow_up_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Reminds every patient whose follow-up date is today (from the morning on); a run that
    comes again the same day sends nothing twice. Returns how many were due."""
    now = now or timezone.now()
    local = timezone.localtime(now, timezone.get_default_timezone())
    if local.hour < figure("DAILY_REMINDERS_FROM_HOUR"):
        return 0
    due = (
        Consultation.objects.filter(follow_up_on=local.date(), doctor__isnull=False)
        .exclude(status=Consultation.Status.CANCELLED)
        .select_related("doctor", "patient", "patient__account")
        .order_by("pk")
    )
    count = 0
    for consultation in due:
        doctor = consultation.doctor
        assert doctor is not None  # filtered above
        notification_remind(
            recipient=consultation.patient.account,
            kind="hospital.follow_up_due",
            subject=system_text(
                gettext_noop("Time for your follow-up with Dr. %(name)s"), name=doctor.name
            ),
            body=system_text(
                gettext_noop(
                    "Dr. %(name)s asked %(patient)s to come back today. Book a follow-up "
                    "consultation with the same doctor."
                ),
                name=doctor.name,
                patient=consultation.patient.real_name,
            ),
            dedupe_key=f"followup:{consultation.pk}",
            link=reverse("hospital:doctor-detail", args=[doctor.pk]),
            now=now,
        )
        count += 1
    return count
