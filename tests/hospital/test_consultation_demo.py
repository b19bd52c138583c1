import io

import pytest

from accounts.demo import seed_demo_data as seed_accounts
from hospital.booking.models import Appointment
from hospital.consultations.models import Consultation
from hospital.demo import seed_demo_data as seed_hospital

pytestmark = pytest.mark.django_db


def test_demo_consultations_are_seeded_once():
    seed_accounts(stdout=io.StringIO())
    seed_hospital(stdout=io.StringIO())
    seed_hospital(stdout=io.StringIO())
    visit = Consultation.objects.get(doctor__user__email="doctor@xinglin.test")
    assert visit.status == Consultation.Status.CLOSED
    assert visit.patient.account.email == "patient@xinglin.test"
    assert sorted(visit.diagnoses.values_list("code", flat=True)) == ["E11.9", "I10"]
    assert visit.messages.filter(kind="text").count() == 4
    assert visit.summary
    upcoming = Appointment.objects.filter(
        patient=visit.patient, doctor=visit.doctor, status=Appointment.Status.CONFIRMED
    )
    assert upcoming.count() == 1
