"""Celery entry points of the medication schedule: the periodic scans. Thin and idempotent."""

from celery import shared_task

from hospital.prescriptions.schedule.services import (
    medication_doses_mark_missed,
    medication_refill_reminders_send,
)


@shared_task(name="hospital.tasks.mark_missed_medication_doses", acks_late=True)
def mark_missed_medication_doses() -> int:
    return medication_doses_mark_missed()


@shared_task(name="hospital.tasks.send_medication_refill_reminders", acks_late=True)
def send_medication_refill_reminders() -> int:
    return medication_refill_reminders_send()
