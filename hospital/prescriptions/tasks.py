"""Celery entry points of prescriptions: reviews waiting too long, prescriptions past their
validity.

Thin and idempotent: each calls one service. Names stay "hospital.tasks.<name>" (see
hospital/tasks.py)."""

from celery import shared_task

from hospital.prescriptions.services.review import (
    prescriptions_alert_review_overdue,
    prescriptions_expire_due,
)


@shared_task(name="hospital.tasks.alert_overdue_prescription_reviews", acks_late=True)
def alert_overdue_prescription_reviews() -> int:
    return prescriptions_alert_review_overdue()


@shared_task(name="hospital.tasks.expire_prescriptions", acks_late=True)
def expire_prescriptions() -> int:
    return prescriptions_expire_due()
