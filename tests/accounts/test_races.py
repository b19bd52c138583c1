import datetime as dt
import threading

import pytest
from django.db import connection

from accounts.models import PatientProfile
from accounts.services import patient_profile_create
from core.exceptions import Conflict
from tests.accounts.factories import PatientUserFactory, make_resident_id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_self_profiles_end_with_exactly_one():
    account = PatientUserFactory()
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def add_self(index: int) -> None:
        birth_date = dt.date(1980, 1, 1 + index)
        try:
            barrier.wait()
            patient_profile_create(
                account=account,
                relationship="self",
                real_name=f"本人{index}",
                sex="male",
                birth_date=birth_date,
                resident_id_number=make_resident_id(birth_date, male=True),
            )
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=add_self, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "created"]
    assert PatientProfile.objects.filter(account=account, relationship="self").count() == 1
