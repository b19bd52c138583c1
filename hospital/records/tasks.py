"""Celery entry points of the health record. Names stay "hospital.tasks.<name>" (see
hospital/tasks.py)."""

from celery import shared_task

from hospital.records.services.device_tests import device_test_reminders_plan
from hospital.records.services.incentives import health_incentives_grant, previous_month


@shared_task(name="hospital.tasks.grant_health_incentives", acks_late=True)
def grant_health_incentives() -> int:
    # Each policy is granted a month once (a unique row): a redelivered task gives nothing twice.
    return health_incentives_grant(month=previous_month())


@shared_task(name="hospital.tasks.plan_device_test_reminders", acks_late=True)
def plan_device_test_reminders() -> int:
    # Each reminder has its own dedupe key: a redelivered or repeated run books nothing twice.
    return device_test_reminders_plan()
