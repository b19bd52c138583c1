import io

import pytest

from accounts.demo import seed_demo_data as seed_accounts
from accounts.models import User
from hospital.demo import seed_demo_data as seed_hospital
from hospital.doctors.models import DoctorProfile, DutyShift, TierPolicy
from hospital.doctors.rosters import doctor_is_on_duty
from hospital.doctors.tiers import experts_assisted_by

pytestmark = pytest.mark.django_db


def test_the_demo_has_tier_promises_a_roster_on_duty_now_and_an_experts_assistant():
    seed_accounts(stdout=io.StringIO())
    seed_hospital(stdout=io.StringIO())
    shifts = DutyShift.objects.count()
    seed_hospital(stdout=io.StringIO())
    assert DutyShift.objects.count() == shifts  # idempotent

    assert set(TierPolicy.objects.values_list("tier", flat=True)) == set(DoctorProfile.Tier)
    demo_doctor = DoctorProfile.objects.get(user__email="doctor@xinglin.test")
    assert doctor_is_on_duty(doctor=demo_doctor)
    rostered = set(DutyShift.objects.values_list("doctor__tier", flat=True))
    assert rostered == {DoctorProfile.Tier.FULL_TIME}

    assistant = User.objects.get(email="assistant@xinglin.test")
    assert assistant.check_password("Xinglin-demo-2026")
    experts = set(experts_assisted_by(assistant).values_list("name", flat=True))
    assert "王芳" in experts
