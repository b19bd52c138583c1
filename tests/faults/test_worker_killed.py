"""A real Celery worker is killed with SIGKILL in the middle of tasks, again and again, while it
ships orders, sends due reminders and adjudicates claims. acks_late and reject_on_worker_lost
leave each unfinished task in Redis; after the visibility timeout the next worker runs it again,
and the tasks' own guards make sure each effect happens once."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import time
from decimal import Decimal

import pytest
import redis as redis_client
from django.utils import timezone
from rest_framework.test import APIClient

from insurance.models import Claim, PolicyYear
from notifications.models import Notification, NotificationDelivery, ScheduledNotification
from notifications.services import notification_schedule
from notifications.tasks import dispatch_due_notifications
from payments.models import Payment
from payments.services import payment_sandbox_complete
from pharmacy import services as pharmacy
from pharmacy.models import Order, Shipment
from tests.accounts.factories import PatientProfileFactory, PatientUserFactory
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

KILLS = int(os.environ.get("FAULT_WORKER_KILLS", "20"))
ORDERS = 8
CLAIMS = 6
REMINDERS = 24
REMINDER_BATCH = 2
# Short, so that a killed worker's task comes back within seconds; production keeps an hour.
VISIBILITY_TIMEOUT = 3
RECEIVED = re.compile(r"Task [\w.]+\[([0-9a-f-]{36})\] received")
FINISHED = re.compile(r"Task [\w.]+\[([0-9a-f-]{36})\] (?:succeeded|retry|raised)")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def paid_order() -> int:
    patient = PatientProfileFactory()
    product = ProductFactory(price=Decimal("25.00"))
    stock(product, 10)
    pharmacy.cart_line_add(
        account=patient.account, patient_id=patient.pk, product_id=product.pk, quantity=1
    )
    client = client_for(patient.account)
    order_id = client.post("/api/v1/checkout/", ADDRESS, format="json").json()["id"]
    client.post(f"/api/v1/orders/{order_id}/pay/")
    payment = Payment.objects.get(purpose="pharmacy_order", reference=str(order_id))
    payment_sandbox_complete(payment=payment, succeed=True)  # enqueues fulfil_order
    return order_id


def filed_claim() -> tuple[int, int]:
    policy = commercial_policy(deductible_met=0)
    filed = client_for(policy.patient.account).post(
        "/api/v1/claims/", claim_body(policy), format="json"
    )
    assert filed.status_code == 201, filed.content
    return filed.json()["id"], policy.pk


def in_flight(log: str) -> set[str]:
    return set(RECEIVED.findall(log)) - set(FINISHED.findall(log))


def idle(redis_url: str, queue: str) -> bool:
    broker = redis_client.Redis.from_url(redis_url)
    return broker.llen(queue) == 0 and broker.hlen("unacked") == 0


def test_a_worker_killed_mid_task_twenty_times_does_everything_once(broker, tmp_path):
    redis, queue = broker
    order_ids = [paid_order() for _ in range(ORDERS)]
    claims = [filed_claim() for _ in range(CLAIMS)]
    recipients = PatientUserFactory.create_batch(4)
    due = timezone.now() - dt.timedelta(minutes=1)
    for n in range(REMINDERS):
        notification_schedule(
            recipient=recipients[n % 4],
            kind="general",
            due_at=due,
            subject="复诊提醒",
            body="明天上午 9:00 复诊。",
            dedupe_key=f"kill:{n}",
            critical=True,  # not held back by quiet hours
        )
    for _ in range(REMINDERS // REMINDER_BATCH):
        dispatch_due_notifications.delay(batch_size=REMINDER_BATCH)

    env = worker_env(
        DATABASE_URL=worker_database_url(),
        REDIS_URL=redis.url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
    )
    killed_mid_task = 0
    for life in range(KILLS):
        log_path = tmp_path / f"worker-{life}.log"
        worker = start_worker(env, queue, log_path)
        deadline = time.monotonic() + 90
        while not in_flight(log_path.read_text(errors="replace")):
            if worker.poll() is not None or time.monotonic() > deadline:
                stop_worker(worker)
                pytest.fail(f"no task started:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.02)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        if in_flight(log_path.read_text(errors="replace")):
            killed_mid_task += 1

    log_path = tmp_path / "worker-last.log"
    worker = start_worker(env, queue, log_path)
    try:

        def all_done() -> bool:
            return (
                Shipment.objects.filter(order_id__in=order_ids).count() == ORDERS
                and not Claim.objects.filter(
                    pk__in=[claim_id for claim_id, _ in claims], status=Claim.Status.SUBMITTED
                ).exists()
                and not ScheduledNotification.objects.filter(
                    dedupe_key__startswith="kill:", status=ScheduledNotification.Status.PENDING
                ).exists()
                and idle(redis.url, queue)
            )

        wait_for(all_done, worker, log_path)
    finally:
        stop_worker(worker)

    assert killed_mid_task >= KILLS * 3 // 4, f"only {killed_mid_task} kills caught a task"
    # Delivery: each order shipped, with one waybill.
    assert set(Order.objects.filter(pk__in=order_ids).values_list("status", flat=True)) == {
        Order.Status.SHIPPED
    }
    assert Shipment.objects.filter(order_id__in=order_ids).count() == ORDERS
    # Auto-adjudication: each claim decided once; the deductible taken once.
    for claim_id, policy_id in claims:
        claim = Claim.objects.get(pk=claim_id)
        assert (claim.status, claim.approved_fen) == (Claim.Status.APPROVED, 8000)
        year = PolicyYear.objects.get(policy_id=policy_id, year=DAY.year)
        assert year.deductible_met_fen == 20000
    # Reminders: each one notification, each delivery attempted at most once (a delivery cut
    # off while sending stays "sending" for operators: it may have gone out, so never twice).
    scheduled = ScheduledNotification.objects.filter(dedupe_key__startswith="kill:")
    assert scheduled.filter(status=ScheduledNotification.Status.SENT).count() == REMINDERS
    assert Notification.objects.filter(dedupe_key__startswith="kill:").count() == REMINDERS
    deliveries = NotificationDelivery.objects.filter(notification__dedupe_key__startswith="kill:")
    assert max(deliveries.values_list("attempts", flat=True)) == 1
    print(
        f"{KILLS} kills, {killed_mid_task} mid-task; deliveries by status: "
        f"{sorted(deliveries.values_list('status', flat=True))}"
    )
