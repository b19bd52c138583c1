"""A worker killed with SIGKILL in the middle of dispatching due notices, then started again,
sends every notice exactly once: each batch commits whole or not at all, and the next scan
(beat's, a minute later) claims what the dead worker left."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time

import pytest
from django.conf import settings
from django.utils import timezone

from notifications.models import Notification, NotificationDelivery, ScheduledNotification
from notifications.tasks import dispatch_due_notifications
from tests.accounts.factories import PatientUserFactory
from tests.integration.test_celery_worker import (
    isolated_queue,  # noqa: F401 - the fixture, used by name
    start_worker,
    stop_worker,
    wait_for,
    worker_database_url,
    worker_env,
)

DUE_NOTICES = 3000
BATCH_SIZE = 10


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_dispatch_and_restarted_sends_each_notice_once(
    isolated_queue,  # noqa: F811
    tmp_path,
):
    patients = PatientUserFactory.create_batch(20)
    # 03:00 in the hospital's time zone yesterday: due whatever the hour the suite runs, and
    # inside quiet hours, where only critical notices pass.
    due_at = (timezone.localtime() - dt.timedelta(days=1)).replace(hour=3, minute=0)
    ScheduledNotification.objects.bulk_create(
        ScheduledNotification(
            recipient=patients[n % len(patients)],
            kind="general",
            subject=f"服药提醒 {n}",
            body="请按时服药。",
            dedupe_key=f"crash-test:{n}",
            due_at=due_at,
            scheduled_for=due_at,
            critical=True,
        )
        for n in range(DUE_NOTICES)
    )
    env = worker_env(
        DATABASE_URL=worker_database_url(),
        REDIS_URL=settings.REDIS_URL,
        CELERY_TASK_DEFAULT_QUEUE=isolated_queue,
    )

    first_log = tmp_path / "first-worker.log"
    worker = start_worker(env, isolated_queue, first_log)
    try:
        dispatch_due_notifications.apply_async(kwargs={"batch_size": BATCH_SIZE})
        wait_for(lambda: Notification.objects.exists(), worker, first_log)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        stop_worker(worker)
    # A little later the dead worker's last transaction is rolled back by the server.
    time.sleep(1)
    written_before = Notification.objects.count()
    assert 0 < written_before < DUE_NOTICES, "killed before it was done"
    # Whole batches only: every notification written is a notice marked sent, and back.
    assert (
        ScheduledNotification.objects.filter(status=ScheduledNotification.Status.SENT).count()
        == written_before
    )

    second_log = tmp_path / "second-worker.log"
    worker = start_worker(env, isolated_queue, second_log)
    try:
        # Beat's next tick.
        dispatch_due_notifications.apply_async(kwargs={"batch_size": BATCH_SIZE})

        def all_sent() -> bool:
            # Every notice written and marked sent, every e-mail delivery row made, and the
            # e-mails of the notices the new worker wrote sent. E-mail tasks the killed worker
            # had already taken come back only when the broker redelivers them (its visibility
            # timeout), and one it was sending is left for an operator: neither is sent twice.
            deliveries = NotificationDelivery.objects
            return (
                not ScheduledNotification.objects.filter(
                    status=ScheduledNotification.Status.PENDING
                ).exists()
                and deliveries.count() == DUE_NOTICES
                and deliveries.filter(status=NotificationDelivery.Status.SENT).count()
                >= DUE_NOTICES - written_before
            )

        wait_for(all_sent, worker, second_log)
    finally:
        stop_worker(worker)

    assert Notification.objects.count() == DUE_NOTICES
    assert set(Notification.objects.values_list("dedupe_key", flat=True)) == {
        f"crash-test:{n}" for n in range(DUE_NOTICES)
    }
    deliveries = NotificationDelivery.objects.all()
    assert deliveries.count() == DUE_NOTICES
    assert {d.attempts for d in deliveries if d.status == NotificationDelivery.Status.SENT} == {1}
    assert max(d.attempts for d in deliveries) <= 1  # no e-mail went out twice
