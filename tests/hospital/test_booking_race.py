import threading

import pytest
from django.db import close_old_connections

from core.exceptions import Conflict
from hospital.models import Appointment, Slot
from hospital.services import appointment_book
from tests.accounts.factories import PatientProfileFactory
from tests.hospital.factories import DoctorFactory, SlotFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(slot, patients):
    barrier = threading.Barrier(len(patients))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(patient):
        barrier.wait()
        try:
            appointment_book(
                account=patient.account,
                patient_id=patient.pk,
                slot_id=slot.pk,
                mode=slot.mode,
                visit_type="follow_up",
                chief_complaint="复诊",
            )
            outcome = "booked"
        except Conflict:
            outcome = "conflict"
        except Exception as error:  # anything else would be a bug: report it
            outcome = f"error: {error!r}"
        finally:
            close_old_connections()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


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
