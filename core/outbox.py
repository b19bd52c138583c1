"""The transactional outbox: work that must reach the Celery worker even when the broker is
down at the moment the change commits (delivery of an order, a claim to adjudicate, a
notification to send).

`outbox_enqueue` writes a row inside the caller's transaction and asks for it to be published
right after commit; `outbox_relay` publishes whatever is still unsent (beat runs it every
minute, operators run `manage.py outbox_relay` or the admin action).
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta
from typing import Any

from celery import Task, current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from core.models import OutboxMessage

logger = logging.getLogger(__name__)

# The relay after commit normally sends a row within milliseconds; the periodic relay leaves
# young rows to it, so that the two rarely publish the same row.
PERIODIC_RELAY_MIN_AGE = timedelta(seconds=10)
RELAY_BATCH_SIZE = 500


def outbox_enqueue(task: Task, **kwargs: Any) -> OutboxMessage:
    """Records `task(**kwargs)` for the worker in the current transaction (call it inside the
    transaction of the change); it is published after commit, or later if the broker is down."""
    message = OutboxMessage.objects.create(task_name=task.name, kwargs=kwargs)
    transaction.on_commit(functools.partial(outbox_message_relay, message_id=message.pk))
    return message


def outbox_message_relay(*, message_id: int) -> bool:
    """Publishes one unsent row and marks it sent; True when it was published now.

    Only a broker that cannot be reached is caught (the row stays unsent for the next relay);
    with CELERY_TASK_ALWAYS_EAGER the task runs here and its own errors propagate as they would
    from `delay`.
    """
    message = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
    if message is None:
        return False  # sent already, by another relay
    task = current_app.tasks[message.task_name]
    try:
        # No publish retries: a request must not wait for the broker; the next relay retries.
        task.apply_async(kwargs=message.kwargs, retry=False)
    except BrokerUnavailable as error:
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:500]
        )
        logger.warning("outbox %s (%s) not sent: %s", message.pk, message.task_name, error)
        return False
    OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=True).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )
    return True


def outbox_unsent_ids(*, min_age: timedelta = PERIODIC_RELAY_MIN_AGE) -> list[int]:
    return list(
        OutboxMessage.objects.filter(
            sent_at__isnull=True, created_at__lte=timezone.now() - min_age
        ).values_list("pk", flat=True)[:RELAY_BATCH_SIZE]
    )


def outbox_relay(*, min_age: timedelta = PERIODIC_RELAY_MIN_AGE) -> int:
    """Publishes the unsent rows at least `min_age` old, oldest first; returns how many were
    sent. Stops at the first broker failure: the rest would fail the same way."""
    sent = 0
    for message_id in outbox_unsent_ids(min_age=min_age):
        if outbox_message_relay(message_id=message_id):
            sent += 1
        elif OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).exists():
            break
    return sent
