"""The reminders benchmark: 100,000 dose reminders due in the same minute, dispatched by the
scan a worker runs every minute (notifications.services.scheduled_notifications_dispatch:
claimed with SKIP LOCKED in batches, the inbox rows written, the scheduled rows marked sent),
against a baseline in the same run that a team might write first: the same notices pushed onto
a Redis list (LPUSH) and popped one by one (BRPOP) by a consumer writing the same rows with
psycopg, a transaction a notice.

Both passes start from the same state (every notice pending, no inbox row) and must end with
one inbox notification per notice and every notice marked sent; the harness test checks it.
The recipients have e-mail turned off for the kind, so both passes do exactly the in-app work.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

KIND = "hospital.medication_dose"
KEY_PREFIX = "bench-dose:"
QUEUE = "bench:reminders"


@dataclass(frozen=True)
class Outcome:
    sent: int
    notifications: int

    @property
    def complete(self) -> bool:
        return self.sent == self.notifications


def reminders_seed(*, notices: int, recipients: int) -> dt.datetime:
    """`recipients` patients with `notices` dose reminders among them, all due in the same
    minute; returns the moment they are due by."""
    from benchmarks.seed import patients_create
    from notifications.models import NotificationDelivery, NotificationPreference
    from notifications.models import ScheduledNotification as Scheduled

    users, _profiles = patients_create(
        count=recipients, label="reminder", name="服药者", birth_date=dt.date(1958, 4, 1)
    )
    NotificationPreference.objects.bulk_create(
        NotificationPreference(
            user=user, kind=KIND, channel=NotificationDelivery.Channel.EMAIL, enabled=False
        )
        for user in users
    )
    due = timezone.now().replace(second=0, microsecond=0)
    rows = (
        Scheduled(
            recipient_id=users[i % recipients].pk,
            kind=KIND,
            subject="服药提醒：苯磺酸氨氯地平片",
            body=f"服药者{i % recipients}：苯磺酸氨氯地平片 5 mg，08:00 服用。",
            link="/medications/",
            critical=True,  # as dose reminders are: a dose's window does not wait for the night
            dedupe_key=f"{KEY_PREFIX}{i}",
            due_at=due,
            scheduled_for=due,
        )
        for i in range(notices)
    )
    Scheduled.objects.bulk_create(rows, batch_size=5000)
    return due + dt.timedelta(seconds=30)


def reminders_reset() -> None:
    """Back to every notice pending and no inbox row, for the next pass."""
    from notifications.models import Notification
    from notifications.models import ScheduledNotification as Scheduled

    with transaction.atomic():
        Scheduled.objects.filter(dedupe_key__startswith=KEY_PREFIX).update(
            status=Scheduled.Status.PENDING, notification=None, sent_at=None
        )
        Notification.objects.filter(dedupe_key__startswith=KEY_PREFIX).delete()


def reminders_outcome() -> Outcome:
    from notifications.models import Notification
    from notifications.models import ScheduledNotification as Scheduled

    return Outcome(
        sent=Scheduled.objects.filter(
            dedupe_key__startswith=KEY_PREFIX,
            status=Scheduled.Status.SENT,
            notification__isnull=False,
        ).count(),
        notifications=Notification.objects.filter(dedupe_key__startswith=KEY_PREFIX).count(),
    )


def engine_pass(*, now: dt.datetime) -> int:
    """The worker's scan, run until nothing is due."""
    from notifications.services import scheduled_notifications_dispatch

    return scheduled_notifications_dispatch(now=now)


INSERT_SQL = """
INSERT INTO notifications_notification
    (recipient_id, kind, subject, body, subject_msgid, body_msgid, text_params, link,
     dedupe_key, created_at)
VALUES (%s, %s, %s, %s, '', '', '{}', %s, %s, now())
RETURNING id
"""
MARK_SQL = """
UPDATE notifications_schedulednotification
SET status = 'sent', notification_id = %s, sent_at = now(), updated_at = now()
WHERE id = %s
"""


def baseline_pass(*, redis_url: str, now: dt.datetime) -> int:
    """The same due notices through a Redis list: the producer reads them and LPUSHes one
    message each; one consumer BRPOPs them and writes each with psycopg, committing each."""
    import psycopg
    import redis

    from notifications.models import ScheduledNotification as Scheduled

    queue = redis.Redis.from_url(redis_url)
    queue.delete(QUEUE)
    due = Scheduled.objects.filter(
        dedupe_key__startswith=KEY_PREFIX, status=Scheduled.Status.PENDING, due_at__lte=now
    ).values_list("id", "recipient_id", "kind", "subject", "body", "link", "dedupe_key")
    pipe = queue.pipeline(transaction=False)
    pushed = 0
    for row in due.iterator(chunk_size=5000):
        pipe.lpush(QUEUE, json.dumps(row, ensure_ascii=False))
        pushed += 1
        if pushed % 1000 == 0:
            pipe.execute()
    pipe.execute()
    settings = connection.settings_dict
    written = 0
    with psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
    ) as db:
        while written < pushed:
            item = queue.brpop([QUEUE], timeout=5)
            if item is None:
                break
            pk, recipient_id, kind, subject, body, link, key = json.loads(item[1])
            with db.transaction(), db.cursor() as cursor:
                cursor.execute(INSERT_SQL, (recipient_id, kind, subject, body, link, key))
                notification_id = cursor.fetchone()[0]  # type: ignore[index]
                cursor.execute(MARK_SQL, (notification_id, pk))
            written += 1
    return written


@dataclass(frozen=True)
class RemindersResult:
    notices: int
    engine_seconds: float
    baseline_seconds: float
    engine: Outcome
    baseline: Outcome

    @property
    def same_work(self) -> bool:
        return self.engine == self.baseline == Outcome(self.notices, self.notices)


def reminders_compare(*, notices: int, redis_url: str, now: dt.datetime) -> RemindersResult:
    """Both passes over the same due notices from the same state, the engine first."""
    reminders_reset()
    started = time.monotonic()
    engine_pass(now=now)
    engine_seconds = time.monotonic() - started
    engine = reminders_outcome()
    reminders_reset()
    started = time.monotonic()
    baseline_pass(redis_url=redis_url, now=now)
    baseline_seconds = time.monotonic() - started
    baseline = reminders_outcome()
    return RemindersResult(notices, engine_seconds, baseline_seconds, engine, baseline)


def report_of(result: RemindersResult) -> dict[str, Any]:
    return {
        "notices": result.notices,
        "engine_seconds": result.engine_seconds,
        "baseline_seconds": result.baseline_seconds,
        "same_work": result.same_work,
    }
