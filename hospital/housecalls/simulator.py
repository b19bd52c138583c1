"""The dispatch simulator: stands in for the visiting doctors' phones in the demo, as the courier
simulator stands in for the courier. Each step moves every dispatched or visiting house call one
state on (accepted → on the way → arrived) through the same services a doctor's tap calls.

It stops at the door: the visit's notes are the doctor's to write, never the simulator's. The
triage call and the dispatch are people's decisions too, so requests waiting for them are left.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.exceptions import DomainError
from hospital.doctors.models import DoctorProfile
from hospital.housecalls.models import HouseCall
from hospital.housecalls.services import (
    doctors_available,
    house_call_accept,
    house_call_arrive,
    house_call_set_out,
)

S = HouseCall.Status


@dataclass(frozen=True)
class SimulatedStep:
    house_call_id: int
    moved_to: str  # the new status, or "" when it could not move
    detail: str = ""


def _accepting_doctor(house_call: HouseCall) -> DoctorProfile | None:
    available = doctors_available(department_id=house_call.department_id)
    if house_call.offered_to_id is not None:
        available = [doctor for doctor in available if doctor.pk == house_call.offered_to_id]
    return available[0] if available else None


def house_calls_simulate_step(*, house_call_id: int | None = None) -> list[SimulatedStep]:
    moving = HouseCall.objects.filter(
        status__in=(S.DISPATCHED, S.ACCEPTED, S.ON_THE_WAY)
    ).select_related("doctor__user")
    if house_call_id is not None:
        moving = moving.filter(pk=house_call_id)
    steps = []
    for house_call in moving.order_by("pk"):
        try:
            if house_call.status == S.DISPATCHED:
                doctor = _accepting_doctor(house_call)
                if doctor is None:
                    steps.append(SimulatedStep(house_call.pk, "", "no doctor available"))
                    continue
                moved = house_call_accept(doctor_user=doctor.user, house_call_id=house_call.pk)
            elif house_call.status == S.ACCEPTED:
                assert house_call.doctor is not None  # accepted means a doctor (a DB constraint)
                moved = house_call_set_out(
                    doctor_user=house_call.doctor.user, house_call_id=house_call.pk
                )
            else:
                assert house_call.doctor is not None
                moved = house_call_arrive(
                    doctor_user=house_call.doctor.user, house_call_id=house_call.pk
                )
        except DomainError as error:
            steps.append(SimulatedStep(house_call.pk, "", error.message))
        else:
            steps.append(SimulatedStep(house_call.pk, moved.status))
    return steps
