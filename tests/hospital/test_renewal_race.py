"""Eight taps on "renew" at once on PostgreSQL: one request is made and answered 201, every other
tap gets that same request back with 200, and the doctor is told once."""

from __future__ import annotations

import pytest

from hospital.prescriptions.models import RenewalRequest
from notifications.models import Notification
from tests.concurrency import run_concurrently
from tests.hospital.consultation_factories import api_client_for
from tests.hospital.review_factories import ApprovedPrescriptionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_renewal_requests_make_one_and_say_so_once():
    rx = ApprovedPrescriptionFactory()
    account = rx.patient.account

    def ask(_n: int) -> tuple[int, int]:
        response = api_client_for(account).post(
            f"/api/v1/prescriptions/{rx.pk}/renewal-requests/", {"note": ""}, format="json"
        )
        return response.status_code, response.json()["id"]

    outcomes = run_concurrently(ask, [(n,) for n in range(8)])

    assert not [o for o in outcomes if isinstance(o, BaseException)]
    statuses = sorted(status for status, _id in outcomes)
    assert statuses == [200] * 7 + [201]
    assert len({renewal_id for _status, renewal_id in outcomes}) == 1
    assert RenewalRequest.objects.count() == 1
    assert Notification.objects.filter(kind="hospital.renewal_requested").count() == 1
