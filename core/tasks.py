"""Platform tasks."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def ping(token: str) -> str:
    """Answers with its token: proves a worker consumes from the configured broker."""
    logger.info("ping %s", token)
    return token
