import pytest

from tests.accounts.factories import PatientProfileFactory
from tests.hospital.factories import DoctorFactory, SlotFactory


@pytest.fixture
def doctor(db):
    return DoctorFactory()


@pytest.fixture
def slot(doctor):
    return SlotFactory(doctor=doctor, mode="video")


@pytest.fixture
def patient(patient_user):
    return PatientProfileFactory(account=patient_user)


@pytest.fixture
def book_payload(patient, slot):
    return {
        "patient": patient.pk,
        "slot": slot.pk,
        "mode": "video",
        "visit_type": "follow_up",
        "chief_complaint": "高血压复诊，需要调整用药",
    }
