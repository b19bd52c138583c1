"""Celery entry points of consultations: operators hear of quick consults nobody claimed.

Thin and idempotent: each calls one service. Names stay "hospital.tasks.<name>" (see
hospital/tasks.py)."""

from celery import shared_task

from hospital.consultations.services.follow_up import follow_up_reminders_send
from hospital.consultations.services.mdt import mdts_expire
from hospital.consultations.services.visits import consultations_alert_unclaimed


@shared_task(name="hospital.tasks.alert_unclaimed_quick_consults", acks_late=True)
def alert_unclaimed_quick_consults() -> int:
    return consultations_alert_unclaimed()


@shared_task(name="hospital.tasks.send_follow_up_reminders", acks_late=True)
def send_follow_up_reminders() -> int:
    return follow_up_reminders_send()


@shared_task(name="hospital.tasks.expire_mdt_consultations", acks_late=True)
def expire_mdt_consultations() -> int:
    return mdts_expire()
