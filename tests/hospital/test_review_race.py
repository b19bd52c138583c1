"""Ten pharmacists draining one queue of a hundred prescriptions on PostgreSQL: each is taken and
decided exactly once, and nobody waits on a row another pharmacist is taking."""

from __future__ import annotations

from collections import Counter

import pytest

from hospital.prescriptions.models import Prescription, PrescriptionEvent
from hospital.prescriptions.services.review import prescription_approve, review_queue_next
from tests.accounts.factories import PharmacistUserFactory
from tests.concurrency import run_concurrently
from tests.hospital.consultation_factories import OpenConsultationFactory
from tests.hospital.review_factories import PrescriptionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_pharmacists_review_a_hundred_prescriptions_each_exactly_once():
    consultation = OpenConsultationFactory()
    waiting = [PrescriptionFactory(consultation=consultation, risk_rank=n % 5) for n in range(100)]
    pharmacists = [PharmacistUserFactory() for _ in range(10)]

    def review_until_empty(pharmacist) -> list[int]:
        mine: list[int] = []
        while True:
            prescription = review_queue_next(pharmacist=pharmacist)
            if prescription is None:
                return mine
            prescription_approve(pharmacist=pharmacist, prescription_id=prescription.pk)
            mine.append(prescription.pk)

    outcomes = run_concurrently(review_until_empty, [(p,) for p in pharmacists])
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    decided = {p.pk: o for p, o in zip(pharmacists, outcomes, strict=True) if isinstance(o, list)}

    assert errors == []
    reviewed = [pk for taken in decided.values() for pk in taken]
    assert sorted(reviewed) == sorted(rx.pk for rx in waiting)
    assert len(set(reviewed)) == 100
    assert Prescription.objects.filter(status=Prescription.Status.APPROVED).count() == 100
    claims = Counter(
        PrescriptionEvent.objects.filter(kind="claimed").values_list("prescription_id", flat=True)
    )
    assert set(claims.values()) == {1}
    approvals = PrescriptionEvent.objects.filter(kind="approved")
    assert approvals.count() == 100
    # Each approval was made by the pharmacist who took it from the queue.
    by_pharmacist = {pk: p for p, taken in decided.items() for pk in taken}
    assert all(by_pharmacist[e.prescription_id] == e.actor_id for e in approvals)
    assert sum(1 for taken in decided.values() if taken) > 1
