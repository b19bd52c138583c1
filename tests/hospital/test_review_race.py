"""Ten pharmacists draining one queue of a hundred prescriptions on PostgreSQL: each is taken and
decided exactly once, and nobody waits on a row another pharmacist is taking."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import close_old_connections

from hospital.models import Prescription, PrescriptionEvent
from hospital.services.review import prescription_approve, review_queue_next
from tests.accounts.factories import PharmacistUserFactory
from tests.hospital.consultation_factories import OpenConsultationFactory
from tests.hospital.review_factories import PrescriptionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_pharmacists_review_a_hundred_prescriptions_each_exactly_once():
    consultation = OpenConsultationFactory()
    waiting = [PrescriptionFactory(consultation=consultation, risk_rank=n % 5) for n in range(100)]
    pharmacists = [PharmacistUserFactory() for _ in range(10)]
    barrier = threading.Barrier(len(pharmacists))
    decided: dict[int, list[int]] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def review_until_empty(pharmacist) -> None:
        mine: list[int] = []
        try:
            barrier.wait()
            while True:
                prescription = review_queue_next(pharmacist=pharmacist)
                if prescription is None:
                    break
                prescription_approve(pharmacist=pharmacist, prescription_id=prescription.pk)
                mine.append(prescription.pk)
        except BaseException as error:  # collected, so the test can show what went wrong
            with lock:
                errors.append(error)
        finally:
            close_old_connections()
        with lock:
            decided[pharmacist.pk] = mine

    threads = [threading.Thread(target=review_until_empty, args=(p,)) for p in pharmacists]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

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
