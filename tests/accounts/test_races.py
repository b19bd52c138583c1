import datetime as dt

import pytest

from accounts.models import PatientProfile
from accounts.services import patient_profile_create
from core.exceptions import Conflict
from tests.accounts.factories import PatientUserFactory, make_resident_id
from tests.concurrency import run_concurrently


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_self_profiles_end_with_exactly_one():
    account = PatientUserFactory()

    def add_self(index: int) -> str:
        birth_date = dt.date(1980, 1, 1 + index)
        try:
            patient_profile_create(
                account=account,
                relationship="self",
                real_name=f"本人{index}",
                sex="male",
                birth_date=birth_date,
                resident_id_number=make_resident_id(birth_date, male=True),
            )
        except Conflict:
            return "conflict"
        return "created"

    outcomes = run_concurrently(add_self, [(index,) for index in range(4)])

    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "created"]
    assert PatientProfile.objects.filter(account=account, relationship="self").count() == 1
