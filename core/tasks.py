"""Platform tasks."""

from __future__ import annotations

import logging

from celery import shared_task

from core.idempotency import idempotency_keys_expire

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def ping(token: str) -> str:
    """Answers with its token: proves a worker consumes from the configured broker."""
    logger.info("ping %s", token)
    return token


@shared_task(acks_late=True, ignore_result=True)
def expire_idempotency_keys() -> int:
    return idempotency_keys_expire()


@shared_task(acks_late=True, ignore_result=True)
def relay_outbox() -> int:
    """Periodic: publishes outbox rows written while the broker was down."""
    from core.outbox import outbox_relay

    return outbox_relay()
