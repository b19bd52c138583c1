import io

import pytest

from accounts.demo import DEMO_DOCTOR_EMAIL
from accounts.demo import seed_demo_data as seed_accounts
from hospital.demo import seed_demo_data as seed_hospital
from hospital.doctors.models import DoctorProfile

pytestmark = pytest.mark.django_db


def test_the_demo_doctor_has_one_name_on_the_account_and_the_profile():
    seed_accounts(stdout=io.StringIO())
    seed_hospital(stdout=io.StringIO())
    doctor = DoctorProfile.objects.select_related("user").get(user__email=DEMO_DOCTOR_EMAIL)
    assert doctor.user.display_name == doctor.name
