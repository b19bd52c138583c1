"""Celery entry points of doctors: credentials expire and their holders are warned beforehand.

Thin and idempotent: each calls one service. Names stay "hospital.tasks.<name>" (see
hospital/tasks.py)."""

from celery import shared_task

from hospital.doctors import services


@shared_task(name="hospital.tasks.review_credential_expiry", acks_late=True)
def review_credential_expiry() -> dict[str, int]:
    return {
        "expired": services.credentials_expire_due(),
        "warned": services.credentials_warn_expiring(),
    }
