"""The broker (Redis) goes away while patients check out, book and file claims: every request
still succeeds, the work waits in the outbox, and once Redis is back a real worker does each
piece of it once, even when the outbox is relayed a second time."""

from __future__ import annotations

import os
import time
from decimal import Decimal

import pytest
import redis as redis_client
from django.core.management import call_command
from rest_framework.test import APIClient

from core.models import OutboxMessage
from hospital.booking.models import Appointment
from insurance.models import Claim, PolicyYear
from notifications.models import NotificationDelivery
from payments.models import Payment
from payments.services import payment_sandbox_complete
from pharmacy import services as pharmacy
from pharmacy.models import Order, Shipment
from tests.accounts.factories import PatientProfileFactory
from tests.hospital.factories import SlotFactory
from tests.insurance.test_api_claims import body as claim_body
from tests.insurance.test_claims import DAY, commercial_policy
from tests.integration.test_celery_worker import (
    start_worker,
    stop_worker,
    wait_for,
    worker_database_url,
    worker_env,
)
from tests.pharmacy.conftest import ADDRESS
from tests.pharmacy.factories import ProductFactory, stock

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

# The behaviour does not depend on how long Redis stays away, only on the requests made
# meanwhile; FAULT_BROKER_OUTAGE_SECONDS=60 gives the full minute.
OUTAGE_SECONDS = float(os.environ.get("FAULT_BROKER_OUTAGE_SECONDS", "15"))


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def checkout_and_pay(patient) -> int:
    client = client_for(patient.account)
    product = ProductFactory(price=Decimal("25.00"))
    stock(product, 10)
    pharmacy.cart_line_add(
        account=patient.account, patient_id=patient.pk, product_id=product.pk, quantity=2
    )
    checkout = client.post("/api/v1/checkout/", ADDRESS, format="json")
    assert checkout.status_code == 201, checkout.content
    order_id = checkout.json()["id"]
    assert client.post(f"/api/v1/orders/{order_id}/pay/").status_code == 200
    payment = Payment.objects.get(purpose="pharmacy_order", reference=str(order_id))
    payment_sandbox_complete(payment=payment, succeed=True)  # the gateway's callback
    return order_id


def book_and_pay(patient) -> int:
    slot = SlotFactory(mode="video")
    booked = client_for(patient.account).post(
        "/api/v1/appointments/",
        {
            "patient": patient.pk,
            "slot": slot.pk,
            "mode": "video",
            "visit_type": "follow_up",
            "chief_complaint": "高血压复诊，需要调整用药",
        },
        format="json",
    )
    assert booked.status_code == 201, booked.content
    appointment = Appointment.objects.get(pk=booked.json()["id"])
    payment_sandbox_complete(payment=appointment.payment, succeed=True)
    return appointment.pk


def file_claim(policy) -> int:
    filed = client_for(policy.patient.account).post(
        "/api/v1/claims/", claim_body(policy), format="json"
    )
    assert filed.status_code == 201, filed.content
    return filed.json()["id"]


def queue_drained(redis_url: str, queue: str) -> bool:
    broker = redis_client.Redis.from_url(redis_url)
    # With acks_late a message stays in "unacked" until its task has finished.
    return broker.llen(queue) == 0 and broker.hlen("unacked") == 0


def test_a_broker_outage_delays_the_work_and_loses_none_of_it(broker, tmp_path):
    redis, queue = broker
    policy = commercial_policy(deductible_met=0)
    shopper = PatientProfileFactory()
    visitor = PatientProfileFactory()

    redis.stop()
    outage_began = time.monotonic()
    order_id = checkout_and_pay(shopper)
    appointment_id = book_and_pay(visitor)
    claim_id = file_claim(policy)

    waiting = OutboxMessage.objects.filter(sent_at=None)
    unsent_count = waiting.count()
    unsent = set(waiting.values_list("task_name", flat=True))
    assert {
        "pharmacy.tasks.fulfil_order",
        "insurance.tasks.adjudicate_claim",
        "notifications.tasks.deliver_notification",
    } <= unsent
    assert Order.objects.get(pk=order_id).status == Order.Status.PACKING
    assert Claim.objects.get(pk=claim_id).status == Claim.Status.SUBMITTED
    call_command("outbox_relay")  # beat's relay while Redis is still away: nothing lost
    assert OutboxMessage.objects.filter(sent_at=None).count() == unsent_count
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_began)))

    redis.start()
    log_path = tmp_path / "worker.log"
    worker = start_worker(
        worker_env(
            DATABASE_URL=worker_database_url(),
            REDIS_URL=redis.url,
            CELERY_TASK_DEFAULT_QUEUE=queue,
        ),
        queue,
        log_path,
    )
    try:
        call_command("outbox_relay")
        assert not OutboxMessage.objects.filter(sent_at=None).exists()

        def all_done() -> bool:
            return (
                Shipment.objects.filter(order_id=order_id).exists()
                and Claim.objects.get(pk=claim_id).status == Claim.Status.APPROVED
                and not NotificationDelivery.objects.filter(
                    notification__recipient=visitor.account,
                    status=NotificationDelivery.Status.PENDING,
                ).exists()
                and queue_drained(redis.url, queue)
            )

        wait_for(all_done, worker, log_path)

        # A relay that died after publishing but before marking: every row goes out again.
        OutboxMessage.objects.update(sent_at=None)
        call_command("outbox_relay")
        wait_for(lambda: queue_drained(redis.url, queue), worker, log_path)
    finally:
        stop_worker(worker)

    assert Order.objects.get(pk=order_id).status == Order.Status.SHIPPED
    assert Shipment.objects.filter(order_id=order_id).count() == 1
    claim = Claim.objects.get(pk=claim_id)
    assert claim.approved_fen == 8000  # ¥200 deductible first, then 80 % of ¥100
    year = PolicyYear.objects.get(policy=policy, year=DAY.year)
    assert year.deductible_met_fen == 20000  # taken once, not twice
    deliveries = NotificationDelivery.objects.filter(notification__recipient=visitor.account)
    assert deliveries.exists()
    assert {(d.status, d.attempts) for d in deliveries} == {(NotificationDelivery.Status.SENT, 1)}
    assert Appointment.objects.get(pk=appointment_id).status == Appointment.Status.CONFIRMED
