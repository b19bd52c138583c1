"""The review queue: order, leases, lapsed leases, own prescriptions, the API and its roles."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import Role
from core.exceptions import NotAllowed
from hospital.prescriptions.models import Prescription, PrescriptionEvent
from hospital.prescriptions.services.review import review_lease_release, review_queue_next
from hospital.rules import figure
from tests.accounts.factories import PatientUserFactory, PharmacistUserFactory
from tests.hospital.consultation_factories import OpenConsultationFactory, api_client_for
from tests.hospital.review_factories import PrescriptionFactory

pytestmark = pytest.mark.django_db


def _waiting(minutes_ago: int, risk: int = 0, **kwargs) -> Prescription:
    return PrescriptionFactory(
        submitted_at=timezone.now() - dt.timedelta(minutes=minutes_ago), risk_rank=risk, **kwargs
    )


def test_the_riskiest_then_the_longest_waiting_comes_first():
    consultation = OpenConsultationFactory()
    old_low = _waiting(50, risk=0, consultation=consultation)
    new_high = _waiting(5, risk=3, consultation=consultation)
    old_high = _waiting(20, risk=3, consultation=consultation)
    mid = _waiting(40, risk=1, consultation=consultation)
    order = []
    for _ in range(4):
        pharmacist = PharmacistUserFactory()
        order.append(review_queue_next(pharmacist=pharmacist).pk)
    assert order == [old_high.pk, new_high.pk, mid.pk, old_low.pk]
    assert review_queue_next(pharmacist=PharmacistUserFactory()) is None


def test_taking_one_leases_it_and_asking_again_returns_the_same():
    first = _waiting(30)
    _waiting(10)
    pharmacist = PharmacistUserFactory()
    taken = review_queue_next(pharmacist=pharmacist)
    assert taken.pk == first.pk
    assert taken.review_lease_holder == pharmacist
    assert taken.review_lease_expires_at > timezone.now() + figure(
        "PRESCRIPTION_REVIEW_LEASE"
    ) - dt.timedelta(seconds=5)
    assert review_queue_next(pharmacist=pharmacist).pk == first.pk
    assert PrescriptionEvent.objects.filter(prescription=first, kind="claimed").count() == 1


def test_a_lapsed_lease_puts_the_prescription_back_in_the_queue():
    rx = _waiting(30)
    first, second = PharmacistUserFactory(), PharmacistUserFactory()
    review_queue_next(pharmacist=first)
    assert review_queue_next(pharmacist=second) is None
    later = timezone.now() + figure("PRESCRIPTION_REVIEW_LEASE") + dt.timedelta(seconds=1)
    taken = review_queue_next(pharmacist=second, now=later)
    assert taken.pk == rx.pk
    assert taken.review_lease_holder == second
    event = PrescriptionEvent.objects.filter(prescription=rx, kind="claimed").last()
    assert event.detail["lapsed_lease_of"] == first.pk


def test_releasing_hands_it_to_the_next_pharmacist():
    rx = _waiting(30)
    first, second = PharmacistUserFactory(), PharmacistUserFactory()
    review_queue_next(pharmacist=first)
    review_lease_release(pharmacist=second, prescription_id=rx.pk)  # not theirs: nothing
    assert review_queue_next(pharmacist=second) is None
    review_lease_release(pharmacist=first, prescription_id=rx.pk)
    assert review_queue_next(pharmacist=second).pk == rx.pk


def test_a_pharmacist_is_never_handed_a_prescription_they_wrote():
    rx = _waiting(30)
    prescriber = rx.doctor.user
    prescriber.groups.add(Group.objects.get_or_create(name=Role.PHARMACIST)[0])
    prescriber = type(prescriber).objects.get(pk=prescriber.pk)
    assert review_queue_next(pharmacist=prescriber) is None
    assert review_queue_next(pharmacist=PharmacistUserFactory()).pk == rx.pk


def test_prescriptions_whose_validity_passed_or_not_waiting_are_not_offered():
    today = timezone.localdate()
    _waiting(
        30,
        issued_on=today - dt.timedelta(days=4),
        valid_until=today - dt.timedelta(days=1),
    )
    _waiting(30, status=Prescription.Status.APPROVED)
    _waiting(30, status=Prescription.Status.REJECTED)
    assert review_queue_next(pharmacist=PharmacistUserFactory()) is None


def test_only_pharmacists_take_from_the_queue():
    _waiting(30)
    with pytest.raises(NotAllowed):
        review_queue_next(pharmacist=PatientUserFactory())


# --- API ---------------------------------------------------------------------------------------


def test_api_next_gives_the_prescription_with_items_and_findings():
    rx = _waiting(30, risk=3)
    client = api_client_for(PharmacistUserFactory())
    response = client.post("/api/v1/review-queue/next/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == rx.pk
    assert body["lease"]["expires_at"]
    assert len(body["items"]) == 1
    assert body["items"][0]["drug"]["code"]
    assert body["findings"] == []
    assert body["patient"]["age"] >= 0


def test_api_next_answers_204_when_nothing_waits():
    response = api_client_for(PharmacistUserFactory()).post("/api/v1/review-queue/next/")
    assert response.status_code == 204
    assert response.content == b""


def test_api_queue_is_for_pharmacists_only(patient_client):
    _waiting(30)
    assert patient_client.post("/api/v1/review-queue/next/").status_code == 403
    assert patient_client.get("/api/v1/review-queue/").status_code == 403
    assert Prescription.objects.filter(review_lease_holder__isnull=False).count() == 0


def test_api_queue_needs_a_second_factor(client):
    _waiting(30)
    client.force_login(PharmacistUserFactory())
    response = client.post("/api/v1/review-queue/next/")
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_api_queue_list_query_count_is_constant(django_assert_num_queries):
    consultation = OpenConsultationFactory()
    for minutes in range(3):
        _waiting(minutes + 10, consultation=consultation)
    client = api_client_for(PharmacistUserFactory())
    client.get("/api/v1/review-queue/")  # warm the session and role caches
    with django_assert_num_queries(2) as few:
        assert len(client.get("/api/v1/review-queue/").json()["results"]) == 3
    for minutes in range(6):
        _waiting(minutes + 30, consultation=OpenConsultationFactory())
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/review-queue/").json()["results"]) == 9
