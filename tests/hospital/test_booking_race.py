import pytest

from core.exceptions import Conflict
from hospital.booking.models import Appointment, Slot
from hospital.booking.services.appointments import appointment_book
from tests.accounts.factories import PatientProfileFactory
from tests.concurrency import run_concurrently
from tests.hospital.factories import DoctorFactory, SlotFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(slot, patients):
    def attempt(patient):
        appointment_book(
            account=patient.account,
            patient_id=patient.pk,
            slot_id=slot.pk,
            mode=slot.mode,
            visit_type="follow_up",
            chief_complaint="复诊",
        )
        return "booked"

    outcomes = run_concurrently(attempt, [(p,) for p in patients])
    unexpected = [o for o in outcomes if o != "booked" and not isinstance(o, Conflict)]
    assert unexpected == []
    return ["booked" if o == "booked" else "conflict" for o in outcomes]


def test_fifty_patients_racing_for_one_video_slot_one_wins():
    slot = SlotFactory(doctor=DoctorFactory(), mode="video")
    patients = [PatientProfileFactory() for _ in range(50)]
    outcomes = race(slot, patients)
    assert outcomes.count("booked") == 1
    assert outcomes.count("conflict") == 49
    slot.refresh_from_db()
    assert slot.booked_count == 1
    assert Appointment.objects.filter(slot=slot).count() == 1


def test_a_text_slot_takes_exactly_its_capacity():
    slot = SlotFactory(doctor=DoctorFactory(), mode="text", capacity=5)
    patients = [PatientProfileFactory() for _ in range(30)]
    outcomes = race(slot, patients)
    assert outcomes.count("booked") == 5
    assert outcomes.count("conflict") == 25
    assert Slot.objects.get(pk=slot.pk).booked_count == 5
    assert Appointment.objects.filter(slot=slot).count() == 5
