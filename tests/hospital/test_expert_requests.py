"""One tap to call a famous doctor: paid up front, confirmed by the assistant within the
expert tier's promise into a booked slot, or refunded."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AccessLogEntry
from core.exceptions import Conflict
from hospital.booking.models import Appointment, ExpertRequest, Slot
from hospital.booking.services.appointments import appointment_cancel
from hospital.booking.services.expert_requests import (
    expert_request_confirm,
    expert_request_create,
    expert_requests_expire,
)
from hospital.doctors.models import DoctorProfile, ExpertAssistant, TierPolicy
from notifications.models import Notification
from payments.models import Payment, Refund
from payments.services import payment_sandbox_complete
from tests.accounts.factories import PatientProfileFactory, UserFactory
from tests.hospital.factories import DoctorFactory, SlotFactory

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2030, 5, 6, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def expert(db):
    TierPolicy.objects.create(
        tier=DoctorProfile.Tier.EXPERT,
        fee_floor=Decimal("100"),
        fee_ceiling=Decimal("500"),
        response_minutes=120,
        description_zh="名医助理 2 小时内确认，否则全额退款",
        description_en="Confirmed within 2 hours, or refunded in full",
    )
    return DoctorFactory(tier=DoctorProfile.Tier.EXPERT, fees={"video": "200.00"})


@pytest.fixture
def assistant(expert):
    user = UserFactory(email="assistant@example.test")
    ExpertAssistant.objects.create(expert=expert, user=user)
    return user


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def request_payload(patient, expert):
    return {
        "patient": patient.pk,
        "expert": expert.pk,
        "mode": "video",
        "visit_type": "follow_up",
        "chief_complaint": "糖尿病复诊，血糖控制不佳",
        "preferred_times": "工作日上午",
    }


def make_paid_request(patient, expert):
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
    return request


def test_a_paid_request_waits_for_the_assistant_until_the_promise_and_tells_both(
    patient, expert, assistant, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        response = client_for(patient.account).post(
            "/api/v1/expert-requests/", request_payload(patient, expert), format="json"
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["status"] == "pending_payment"
        assert body["fee"] == "200.00"
        paid = client_for(patient.account).post(f"/api/v1/expert-requests/{body['id']}/pay/")
        assert paid.status_code == 200
        request = ExpertRequest.objects.get(pk=body["id"])
        with django_capture_on_commit_callbacks(execute=True):
            payment_sandbox_complete(payment=request.payment, succeed=True)
    request.refresh_from_db()
    assert request.status == ExpertRequest.Status.WAITING
    assert request.confirm_by == NOW + dt.timedelta(minutes=120)
    assert Notification.objects.filter(recipient=assistant, kind="hospital.expert_request").exists()
    assert Notification.objects.filter(
        recipient=patient.account, kind="hospital.expert_request"
    ).exists()


def test_the_assistant_confirms_into_a_booked_slot_on_the_fee_already_paid(
    patient, expert, assistant, django_capture_on_commit_callbacks
):
    request = make_paid_request(patient, expert)
    slot = SlotFactory(doctor=expert, mode="video")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(assistant).post(
            f"/api/v1/assistant/expert-requests/{request.pk}/confirm/",
            {"slot": slot.pk},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    request.refresh_from_db()
    appointment = request.appointment
    assert appointment.status == Appointment.Status.CONFIRMED
    assert appointment.slot_id == slot.pk
    assert appointment.payment_id == request.payment_id
    assert appointment.fee == Decimal("200.00")
    assert Slot.objects.get(pk=slot.pk).booked_count == 1
    assert not Refund.objects.exists()
    assert Notification.objects.filter(
        recipient=patient.account, kind="hospital.expert_request", dedupe_key__endswith="confirmed"
    ).exists()
    # The booking then lives as any other: cancelled early by the patient, the fee comes back.
    appointment_cancel(actor=patient.account, appointment_id=appointment.pk)
    assert Refund.objects.get().amount == Decimal("200.00")


def test_not_confirmed_in_time_the_scan_refunds_once_and_a_late_confirmation_is_refused(
    patient, expert, assistant, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        request = make_paid_request(patient, expert)
        slot = SlotFactory(doctor=expert, mode="video", starts_at=NOW + dt.timedelta(days=1))
    with time_machine.travel(NOW + dt.timedelta(minutes=119), tick=False):
        assert expert_requests_expire() == 0
    with time_machine.travel(NOW + dt.timedelta(minutes=120), tick=False):
        with pytest.raises(Conflict):
            expert_request_confirm(assistant=assistant, request_id=request.pk, slot_id=slot.pk)
        with django_capture_on_commit_callbacks(execute=True):
            assert expert_requests_expire() == 1
        assert expert_requests_expire() == 0
    request.refresh_from_db()
    assert request.status == ExpertRequest.Status.EXPIRED
    assert request.refund_amount == Decimal("200.00")
    refund = Refund.objects.get()
    assert refund.amount == Decimal("200.00")
    assert refund.payment_id == request.payment_id
    assert Payment.objects.get(pk=request.payment_id).status == Payment.Status.REFUNDED
    assert not Appointment.objects.exists()
    assert Notification.objects.filter(
        recipient=patient.account, kind="hospital.expert_request", dedupe_key__endswith="expired"
    ).exists()


def test_an_unpaid_request_lapses_when_its_hold_runs_out(patient, expert, assistant):
    with time_machine.travel(NOW, tick=False):
        request = expert_request_create(
            account=patient.account,
            patient_id=patient.pk,
            expert_id=expert.pk,
            mode="video",
            visit_type="follow_up",
            chief_complaint="糖尿病复诊，血糖控制不佳",
        )
    with time_machine.travel(NOW + dt.timedelta(minutes=16), tick=False):
        assert expert_requests_expire() == 1
    request.refresh_from_db()
    assert request.status == ExpertRequest.Status.LAPSED
    assert Payment.objects.get(pk=request.payment_id).status == Payment.Status.CANCELLED
    # A payment arriving after all goes straight back.
    payment = Payment.objects.get(pk=request.payment_id)
    payment.status = Payment.Status.WAITING
    payment.save(update_fields=["status"])
    payment_sandbox_complete(payment=payment, succeed=True)
    request.refresh_from_db()
    assert request.status == ExpertRequest.Status.LAPSED
    assert Refund.objects.get().payment_id == payment.pk


def test_declining_needs_a_reason_and_refunds_in_full(patient, expert, assistant):
    request = make_paid_request(patient, expert)
    client = client_for(assistant)
    url = f"/api/v1/assistant/expert-requests/{request.pk}/decline/"
    missing = client.post(url, {"reason": ""}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["errors"]
    request.refresh_from_db()
    assert request.status == ExpertRequest.Status.WAITING
    declined = client.post(url, {"reason": "专家本周出诊已满，建议改约同科室医生。"}, format="json")
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"
    assert declined.json()["refund_amount"] == "200.00"
    assert Refund.objects.get().amount == Decimal("200.00")
    again = client.post(url, {"reason": "重复点击"}, format="json")
    assert again.status_code == 200
    assert Refund.objects.count() == 1


def test_the_patient_withdraws_a_waiting_request_and_is_refunded(patient, expert, assistant):
    request = make_paid_request(patient, expert)
    client = client_for(patient.account)
    response = client.post(f"/api/v1/expert-requests/{request.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert Refund.objects.get().amount == Decimal("200.00")
    # Withdrawn, it cannot be confirmed.
    slot = SlotFactory(doctor=expert, mode="video")
    confirm = client_for(assistant).post(
        f"/api/v1/assistant/expert-requests/{request.pk}/confirm/", {"slot": slot.pk}
    )
    assert confirm.status_code == 409
    assert Slot.objects.get(pk=slot.pk).booked_count == 0


def test_strangers_get_404_and_change_nothing(patient, expert, assistant):
    request = make_paid_request(patient, expert)
    other_patient = PatientProfileFactory()
    assert (
        client_for(other_patient.account).get(f"/api/v1/expert-requests/{request.pk}/").status_code
        == 404
    )
    assert (
        client_for(other_patient.account)
        .post(f"/api/v1/expert-requests/{request.pk}/cancel/")
        .status_code
        == 404
    )
    other_expert = DoctorFactory(tier=DoctorProfile.Tier.EXPERT)
    other_assistant = UserFactory()
    ExpertAssistant.objects.create(expert=other_expert, user=other_assistant)
    slot = SlotFactory(doctor=expert, mode="video")
    for user in (other_assistant, other_patient.account, expert.user):
        response = client_for(user).post(
            f"/api/v1/assistant/expert-requests/{request.pk}/confirm/", {"slot": slot.pk}
        )
        assert response.status_code == 404, user
    assert (
        client_for(other_patient.account).get("/api/v1/assistant/expert-requests/").status_code
        == 403
    )
    request.refresh_from_db()
    assert request.status == ExpertRequest.Status.WAITING
    assert Slot.objects.get(pk=slot.pk).booked_count == 0


def test_bad_requests_are_refused_with_field_errors(patient, expert, assistant):
    client = client_for(patient.account)
    not_expert = DoctorFactory()
    cases = [
        ({**request_payload(patient, expert), "mode": "fax"}, "mode"),
        ({**request_payload(patient, expert), "chief_complaint": "痛"}, "chief_complaint"),
        ({**request_payload(patient, not_expert)}, "expert"),
        ({**request_payload(patient, expert), "mode": "phone"}, "mode"),
        ({**request_payload(patient, expert), "patient": PatientProfileFactory().pk}, "patient"),
    ]
    for payload, field in cases:
        response = client.post("/api/v1/expert-requests/", payload, format="json")
        assert 400 <= response.status_code < 500, (field, response.content)
        body = response.json()
        assert field in body.get("errors", {}) or body.get("field") == field, (field, body)
    assert not ExpertRequest.objects.exists()
    listing = client.get("/api/v1/expert-requests/", {"status": "nonsense"})
    assert listing.status_code == 400


def test_a_second_tap_finds_the_open_request(patient, expert, assistant):
    client = client_for(patient.account)
    first = client.post("/api/v1/expert-requests/", request_payload(patient, expert), format="json")
    assert first.status_code == 201
    second = client.post(
        "/api/v1/expert-requests/", request_payload(patient, expert), format="json"
    )
    assert second.status_code == 409
    assert ExpertRequest.objects.count() == 1


def test_the_assistant_queue_is_soonest_deadline_first_and_logged(patient, expert, assistant):
    with time_machine.travel(NOW, tick=False):
        first = make_paid_request(patient, expert)
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        second = make_paid_request(PatientProfileFactory(), expert)
    with time_machine.travel(NOW + dt.timedelta(minutes=10), tick=False):
        response = client_for(assistant).get("/api/v1/assistant/expert-requests/")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [first.pk, second.pk]
    assert AccessLogEntry.objects.filter(
        actor=assistant, patient_id=patient.pk, object_type="expert_request"
    ).exists()


def test_pages_take_the_patient_from_one_tap_to_payment_and_the_assistant_to_a_booking(
    client, patient, expert, assistant
):
    slot = SlotFactory(doctor=expert, mode="video")
    client.force_login(patient.account)
    page = client.get(f"/doctors/{expert.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "一键呼叫名医" in page.content.decode()
    posted = client.post(
        f"/doctors/{expert.pk}/expert-request/",
        {**request_payload(patient, expert), "expert": ""},
    )
    request = ExpertRequest.objects.get()
    assert posted.status_code == 302
    assert posted["Location"] == f"/payments/sandbox/{request.payment.token}/"
    payment_sandbox_complete(payment=request.payment, succeed=True)
    mine = client.get("/expert-requests/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Waiting for the expert" in mine.content.decode()

    client.force_login(assistant)
    queue = client.get("/assistant/expert-requests/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert queue.status_code == 200
    assert patient.real_name in queue.content.decode()
    assert "预约这个时间" in queue.content.decode()
    confirmed = client.post(f"/assistant/expert-requests/{request.pk}/confirm/", {"slot": slot.pk})
    assert confirmed.status_code == 302
    request.refresh_from_db()
    assert request.status == ExpertRequest.Status.CONFIRMED
    assert timezone.localtime(request.appointment.slot.starts_at) == timezone.localtime(
        slot.starts_at
    )


def test_an_expert_without_an_assistant_offers_no_one_tap_and_refuses_requests(
    client, patient, expert
):
    client.force_login(patient.account)
    page = client.get(f"/doctors/{expert.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "One tap to call this expert" not in page.content.decode()
    response = client_for(patient.account).post(
        "/api/v1/expert-requests/", request_payload(patient, expert), format="json"
    )
    assert response.status_code == 409
    assert not ExpertRequest.objects.exists()
