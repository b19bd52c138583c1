"""Celery entry points of booking: unpaid appointments expire, no-shows are recorded, slots open.

Thin and idempotent: each calls one service. Names stay "hospital.tasks.<name>" (see
hospital/tasks.py)."""

from celery import shared_task

from hospital.booking.services import appointments, expert_requests, schedules


@shared_task(name="hospital.tasks.expire_unpaid_appointments", acks_late=True)
def expire_unpaid_appointments() -> int:
    return appointments.appointments_expire_unpaid()


@shared_task(name="hospital.tasks.mark_no_shows", acks_late=True)
def mark_no_shows() -> int:
    return appointments.appointments_mark_no_shows()


@shared_task(name="hospital.tasks.generate_slots", acks_late=True)
def generate_slots(doctor_id: int | None = None) -> int:
    return schedules.slots_generate(doctor_id=doctor_id)


@shared_task(name="hospital.tasks.expire_expert_requests", acks_late=True)
def expire_expert_requests() -> int:
    return expert_requests.expert_requests_expire()
