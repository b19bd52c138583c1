"""Celery entry points of the health record. Names stay "hospital.tasks.<name>" (see
hospital/tasks.py)."""

from celery import shared_task

from hospital.records.services.incentives import health_incentives_grant, previous_month


@shared_task(name="hospital.tasks.grant_health_incentives", acks_late=True)
def grant_health_incentives() -> int:
    # Each policy is granted a month once (a unique row): a redelivered task gives nothing twice.
    return health_incentives_grant(month=previous_month())
