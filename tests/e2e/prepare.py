"""Builds the browser journeys' world once, in the stack's own database: the demo data
(`seed_demo`, through the real services), then what each journey starts from, and prints it as
JSON on the last line for the test session.

Run as `python -m tests.e2e.prepare` with the stack's environment (tests/e2e/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import django


def prepare(variants: list[str]) -> dict[str, object]:
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.demo import DEMO_DOCTOR_EMAIL, DEMO_PATIENT_EMAIL, DEMO_PHARMACIST_EMAIL
    from accounts.models import PatientProfile, User
    from hospital.booking.models import Appointment, Slot
    from hospital.consultations.models import Consultation
    from hospital.doctors.models import Department, DoctorProfile
    from hospital.prescriptions.schedule.services import (
        medication_doses_mark_missed,
        medication_schedule_start,
    )
    from pharmacy.demo_orders import _approved_prescription

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", verbosity=0)

    doctor = DoctorProfile.objects.get(user__email=DEMO_DOCTOR_EMAIL)
    patient = PatientProfile.objects.get(
        account__email=DEMO_PATIENT_EMAIL, relationship=PatientProfile.Relationship.SELF
    )

    # The doctor's journey: a follow-up text visit of the demo patient that starts in a few
    # minutes, so it can be opened now.
    starts = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=5)
    slot = Slot.objects.create(
        doctor=doctor,
        mode="text",
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=30),
        capacity=1,
        booked_count=1,
    )
    appointment = Appointment.objects.create(
        patient=patient,
        booked_by=patient.account,
        doctor=doctor,
        slot=slot,
        mode="text",
        visit_type=Appointment.VisitType.FOLLOW_UP,
        chief_complaint="高血压复诊，最近头晕",
        status=Appointment.Status.CONFIRMED,
        fee=doctor.services.get(mode="text").fee,
        confirmed_at=timezone.now(),
    )

    # The shopping journeys: one approved prescription each, from the demo patient's past visit.
    visit = Consultation.objects.filter(
        patient=patient, doctor=doctor, status=Consultation.Status.CLOSED
    ).earliest("opened_at")
    pharmacist = User.objects.get(email=DEMO_PHARMACIST_EMAIL)
    purchase = ("losartan-50mg-tab", "50", "QD", 28, 1, "每日早晨服用", "I10")
    closed = {"status": visit.status, "closed_at": visit.closed_at}
    # Written during the visit, as the demo orders are: open only while the doctor writes.
    Consultation.objects.filter(pk=visit.pk).update(status=Consultation.Status.OPEN)
    visit.refresh_from_db()
    try:
        prescriptions = {
            variant: _approved_prescription(visit, pharmacist, purchase).pk for variant in variants
        }
        # The dose-reminder journeys: a 28-day supply of their own, delivered 26 days ago,
        # so its doses are reminded today and its refill (renewal) is due.
        supplies = {
            variant: _approved_prescription(visit, pharmacist, purchase) for variant in variants
        }
    finally:
        Consultation.objects.filter(pk=visit.pk).update(**closed)
    delivered = timezone.now() - dt.timedelta(days=26)
    schedules = {
        variant: medication_schedule_start(
            prescription_item_ids=[prescription.items.get().pk], started_at=delivered
        )[0].pk
        for variant, prescription in supplies.items()
    }
    # The stack's scan would have marked the 26 days of unanswered doses missed, and withdrawn
    # their reminders, long ago; it does so now, before the stack's first dispatch would send
    # them all at once.
    medication_doses_mark_missed()
    return {
        "appointment": appointment.pk,
        "prescriptions": prescriptions,
        "schedules": schedules,
        "departments": {"cardiology": Department.objects.get(code="cardiology").pk},
    }


if __name__ == "__main__":
    django.setup()
    world = prepare(sys.argv[1:])
    sys.stdout.write("\n" + json.dumps(world) + "\n")
