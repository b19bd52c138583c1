"""Celery entry points of hospital, gathered from its domains so the worker's autodiscovery finds
them. Each task keeps the name it was first published under ("hospital.tasks.<name>"): queued
messages and the beat schedule refer to tasks by name."""

from hospital.booking import tasks as booking_tasks  # noqa: F401
from hospital.consultations import tasks as consultations_tasks  # noqa: F401
from hospital.doctors import tasks as doctors_tasks  # noqa: F401
from hospital.housecalls import tasks as housecalls_tasks  # noqa: F401
from hospital.prescriptions import tasks as prescriptions_tasks  # noqa: F401
from hospital.prescriptions.schedule import tasks as medication_schedule_tasks  # noqa: F401
from hospital.records import tasks as records_tasks  # noqa: F401
