"""Two assistants (or two clicks) confirming one expert request at once: exactly one booking."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.exceptions import Conflict
from hospital.booking.models import Appointment, ExpertRequest, Slot
from hospital.booking.services.expert_requests import (
    expert_request_confirm,
    expert_request_create,
    expert_requests_expire,
)
from hospital.doctors.models import DoctorProfile, ExpertAssistant
from payments.models import Refund
from payments.services import payment_sandbox_complete
from tests.accounts.factories import PatientProfileFactory, UserFactory
from tests.concurrency import run_concurrently
from tests.hospital.factories import DoctorFactory, SlotFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def paid_request(expert):
    patient = PatientProfileFactory()
    request = expert_request_create(
        account=patient.account,
        patient_id=patient.pk,
        expert_id=expert.pk,
        mode="video",
        visit_type="follow_up",
        chief_complaint="糖尿病复诊，血糖控制不佳",
    )
    payment_sandbox_complete(payment=request.payment, succeed=True)
    request.refresh_from_db()
    assert request.status == ExpertRequest.Status.WAITING
    return request


def confirm(assistant, request_id, slot_id):
    expert_request_confirm(assistant=assistant, request_id=request_id, slot_id=slot_id)
    return "confirmed"


def test_two_assistants_confirming_one_request_with_different_slots_book_once():
    expert = DoctorFactory(tier=DoctorProfile.Tier.EXPERT, fees={"video": "200.00"})
    assistants = [UserFactory() for _ in range(2)]
    for user in assistants:
        ExpertAssistant.objects.create(expert=expert, user=user)
    request = paid_request(expert)
    first = SlotFactory(doctor=expert, mode="video")
    second = SlotFactory(doctor=expert, mode="video", starts_at=first.ends_at)
    slots = [first, second]

    outcomes = run_concurrently(
        confirm,
        [(assistants[0], request.pk, slots[0].pk), (assistants[1], request.pk, slots[1].pk)] * 3,
    )

    unexpected = [o for o in outcomes if o != "confirmed" and not isinstance(o, Conflict)]
    assert unexpected == []
    assert Appointment.objects.count() == 1
    assert (
        sum(
            Slot.objects.filter(pk__in=[s.pk for s in slots]).values_list("booked_count", flat=True)
        )
        == 1
    )
    request.refresh_from_db()
    assert request.status == ExpertRequest.Status.CONFIRMED
    assert request.appointment.payment_id == request.payment_id


def test_a_confirmation_racing_the_refund_scan_ends_one_way_only():
    expert = DoctorFactory(tier=DoctorProfile.Tier.EXPERT, fees={"video": "200.00"})
    assistant = UserFactory()
    ExpertAssistant.objects.create(expert=expert, user=assistant)
    request = paid_request(expert)
    # The assistant is still in time; the scan runs as if the deadline had just passed, so
    # each may act on the request unless the other got there first.
    deadline = timezone.now() + dt.timedelta(seconds=30)
    ExpertRequest.objects.filter(pk=request.pk).update(confirm_by=deadline)
    slot = SlotFactory(doctor=expert, mode="video")

    def scan():
        return expert_requests_expire(now=deadline + dt.timedelta(seconds=1))

    outcomes = run_concurrently(
        lambda kind: confirm(assistant, request.pk, slot.pk) if kind == "confirm" else scan(),
        [("confirm",), ("scan",)],
    )
    assert not [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, Conflict)]
    request.refresh_from_db()
    if request.status == ExpertRequest.Status.CONFIRMED:
        assert not Refund.objects.exists()
        assert Appointment.objects.count() == 1
    else:
        assert request.status == ExpertRequest.Status.EXPIRED
        assert Refund.objects.get().amount == Decimal("200.00")
        assert not Appointment.objects.exists()
        assert Slot.objects.get(pk=slot.pk).booked_count == 0
