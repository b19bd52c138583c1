"""Celery entry points of hospital: thin, idempotent, each calls one service."""

from celery import shared_task

from hospital import services
from hospital.services.consultations import consultations_alert_unclaimed
from hospital.services.review import prescriptions_alert_review_overdue, prescriptions_expire_due


@shared_task(acks_late=True)
def expire_unpaid_appointments() -> int:
    return services.appointments_expire_unpaid()


@shared_task(acks_late=True)
def mark_no_shows() -> int:
    return services.appointments_mark_no_shows()


@shared_task(acks_late=True)
def generate_slots(doctor_id: int | None = None) -> int:
    return services.slots_generate(doctor_id=doctor_id)


@shared_task(acks_late=True)
def review_credential_expiry() -> dict[str, int]:
    return {
        "expired": services.credentials_expire_due(),
        "warned": services.credentials_warn_expiring(),
    }


@shared_task(acks_late=True)
def alert_unclaimed_quick_consults() -> int:
    return consultations_alert_unclaimed()


@shared_task(acks_late=True)
def alert_overdue_prescription_reviews() -> int:
    return prescriptions_alert_review_overdue()


@shared_task(acks_late=True)
def expire_prescriptions() -> int:
    return prescriptions_expire_due()
