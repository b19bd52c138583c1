from collections import Counter

import pytest

from core.exceptions import Conflict, NotFound
from hospital.consultations.models import Consultation
from hospital.consultations.services.visits import consultation_claim, consultation_claim_next
from tests.concurrency import run_concurrently
from tests.hospital.consultation_factories import QuickConsultFactory
from tests.hospital.factories import DepartmentFactory, DoctorFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_doctors_take_twenty_waiting_consults_each_exactly_once():
    department = DepartmentFactory()
    doctors = [DoctorFactory(department=department) for _ in range(10)]
    waiting = [QuickConsultFactory(department=department) for _ in range(20)]

    def take_until_empty(doctor):
        taken = []
        while True:
            try:
                taken.append(consultation_claim_next(doctor_user=doctor.user).pk)
            except NotFound:
                return taken

    outcomes = run_concurrently(take_until_empty, [(d,) for d in doctors])
    assert all(isinstance(o, list) for o in outcomes), outcomes
    claimed = [pk for taken in outcomes for pk in taken]
    assert sorted(claimed) == sorted(c.pk for c in waiting)
    assert len(claimed) == len(set(claimed)) == 20
    rows = Consultation.objects.filter(pk__in=claimed)
    assert all(row.status == Consultation.Status.OPEN and row.doctor_id for row in rows)
    by_doctor = Counter(row.doctor_id for row in rows)
    for taken, doctor in zip(outcomes, doctors, strict=True):
        assert by_doctor[doctor.pk] == len(taken)


def test_ten_doctors_claiming_the_same_consult_one_wins():
    department = DepartmentFactory()
    doctors = [DoctorFactory(department=department) for _ in range(10)]
    waiting = QuickConsultFactory(department=department)
    outcomes = run_concurrently(
        lambda doctor: consultation_claim(doctor_user=doctor.user, consultation_id=waiting.pk),
        [(d,) for d in doctors],
    )
    winners = [o for o in outcomes if isinstance(o, Consultation)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, Conflict) for o in outcomes if o not in winners), outcomes
    waiting.refresh_from_db()
    assert waiting.doctor_id == winners[0].doctor_id
    assert waiting.events.filter(to_status="open").count() == 1
