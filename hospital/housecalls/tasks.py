"""Celery entry points of house calls. Thin and idempotent: each calls one service. Names stay
"hospital.tasks.<name>" (see hospital/tasks.py)."""

from celery import shared_task

from hospital.housecalls import services


@shared_task(name="hospital.tasks.expire_unpaid_house_calls", acks_late=True)
def expire_unpaid_house_calls() -> int:
    return services.house_calls_expire_unpaid()
