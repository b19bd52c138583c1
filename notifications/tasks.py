"""Celery entry points of notifications: take ids, call a service."""

from __future__ import annotations

from celery import shared_task

from notifications.services import (
    notification_deliver,
    notification_deliveries_give_up,
    notification_deliveries_stuck_fail,
    scheduled_notifications_dispatch,
)

MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def deliver_notification(self, notification_id: int) -> int:  # type: ignore[no-untyped-def]
    try:
        return notification_deliver(notification_id=notification_id)
    except Exception as error:
        if self.request.retries >= MAX_RETRIES:
            notification_deliveries_give_up(
                notification_id=notification_id, error=f"{type(error).__name__}: {error}"
            )
            return 0
        # Back off 30 s, 60 s, 120 s ... before the next attempt.
        raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from error


@shared_task
def fail_stuck_deliveries() -> int:
    return notification_deliveries_stuck_fail()


@shared_task(acks_late=True)
def deliver_notifications(notification_ids: list[int]) -> int:
    """The deliveries of a batch of notifications; one that fails goes on alone, with retries."""
    sent = 0
    for notification_id in notification_ids:
        try:
            sent += notification_deliver(notification_id=notification_id)
        except Exception:
            deliver_notification.apply_async((notification_id,), countdown=30)
    return sent


# Beat sends this every minute; a second one while the first still runs claims other rows.
@shared_task(acks_late=True)
def dispatch_due_notifications(batch_size: int = 1000) -> int:
    return scheduled_notifications_dispatch(batch_size=batch_size)
