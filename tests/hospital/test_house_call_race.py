"""Two doctors accepting one house call at the same moment: exactly one takes it."""

import pytest

from core.exceptions import Conflict
from hospital.housecalls import services
from hospital.housecalls.models import HouseCall
from tests.accounts.factories import OperatorUserFactory
from tests.concurrency import run_concurrently
from tests.hospital.factories import DepartmentFactory, DoctorFactory
from tests.hospital.housecall_factories import requested_house_call

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_doctors_accepting_one_house_call_exactly_one_wins():
    department = DepartmentFactory()
    doctors = [DoctorFactory(department=department) for _ in range(2)]
    operator = OperatorUserFactory()
    house_call = requested_house_call(department)
    services.house_call_triage(actor=operator, house_call_id=house_call.pk, outcome="dispatch")
    services.house_call_dispatch(actor=operator, house_call_id=house_call.pk, eta_minutes=30)

    outcomes = run_concurrently(
        lambda doctor: services.house_call_accept(
            doctor_user=doctor.user, house_call_id=house_call.pk
        ),
        [(doctor,) for doctor in doctors],
    )

    winners = [outcome for outcome in outcomes if isinstance(outcome, HouseCall)]
    assert len(winners) == 1, outcomes
    losers = [outcome for outcome in outcomes if outcome not in winners]
    assert all(isinstance(o, Conflict) and o.code == "already_accepted" for o in losers), outcomes
    house_call.refresh_from_db()
    assert house_call.status == HouseCall.Status.ACCEPTED
    assert house_call.doctor_id == winners[0].doctor_id
    assert house_call.events.filter(to_status="accepted").count() == 1


def test_ten_doctors_racing_for_three_house_calls_take_each_once():
    department = DepartmentFactory()
    doctors = [DoctorFactory(department=department) for _ in range(10)]
    operator = OperatorUserFactory()
    house_calls = [requested_house_call(department) for _ in range(3)]
    for house_call in house_calls:
        services.house_call_triage(actor=operator, house_call_id=house_call.pk, outcome="dispatch")
        services.house_call_dispatch(actor=operator, house_call_id=house_call.pk, eta_minutes=30)

    def take_any(doctor):
        for house_call in house_calls:
            try:
                return services.house_call_accept(
                    doctor_user=doctor.user, house_call_id=house_call.pk
                ).pk
            except Conflict:
                continue
        return None

    outcomes = run_concurrently(take_any, [(doctor,) for doctor in doctors])
    taken = [outcome for outcome in outcomes if isinstance(outcome, int)]
    assert sorted(taken) == sorted(house_call.pk for house_call in house_calls), outcomes
    rows = HouseCall.objects.filter(pk__in=taken)
    assert len({row.doctor_id for row in rows}) == 3  # a doctor takes one visit at a time
