"""Writes of notifications: create once per event, deliver once per channel, mark read."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from core.exceptions import NotFound
from core.system_text import SystemText
from notifications.channels import SENDERS
from notifications.models import Notification, NotificationDelivery

logger = logging.getLogger(__name__)


def notification_send(
    *,
    recipient: Any,
    kind: str,
    subject: str | SystemText,
    body: str | SystemText,
    dedupe_key: str,
    link: str = "",
    send_email: bool = True,
) -> Notification:
    """Puts a notification in the recipient's inbox and emails it, once per `dedupe_key`.

    A second call with the same key (a retried task, a double click) returns the existing
    notification and sends nothing. Delivery runs in a task after the caller's commit.
    """
    from notifications.tasks import deliver_notification

    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind[:64],
                subject=str(subject)[:200],
                body=str(body),
                subject_msgid=subject.msgid if isinstance(subject, SystemText) else "",
                body_msgid=body.msgid if isinstance(body, SystemText) else "",
                text_params={
                    part: text.params
                    for part, text in (("subject", subject), ("body", body))
                    if isinstance(text, SystemText) and text.params
                },
                link=link[:500],
                dedupe_key=dedupe_key[:255],
            )
            if send_email:
                email = (getattr(recipient, "email", "") or "").strip()
                usable = bool(email) and getattr(recipient, "is_active", True)
                NotificationDelivery.objects.create(
                    notification=notification,
                    channel=NotificationDelivery.Channel.EMAIL,
                    address=email,
                    status=(
                        NotificationDelivery.Status.PENDING
                        if usable
                        else NotificationDelivery.Status.SKIPPED
                    ),
                )
    except IntegrityError:
        # The same event was notified before (or is being, by a concurrent writer that has
        # just committed): the key's existing notification is the answer.
        return Notification.objects.get(dedupe_key=dedupe_key[:255])
    if send_email:
        deliver_notification.delay_on_commit(notification.pk)
    return notification


def notification_send_to_operators(
    *,
    kind: str,
    subject: str | SystemText,
    body: str | SystemText,
    dedupe_key: str,
    link: str = "",
) -> list[Notification]:
    """Notifies every active operator, each once per `dedupe_key`."""
    operators = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.OPERATOR)
        .distinct()
        .order_by("pk")
    )
    return [
        notification_send(
            recipient=operator,
            kind=kind,
            subject=subject,
            body=body,
            dedupe_key=f"{dedupe_key}:{operator.pk}",
            link=link,
        )
        for operator in operators
    ]


def notification_deliver(*, notification_id: int) -> int:
    """Sends the notification's pending deliveries; returns how many went out now.

    Each delivery is claimed with a conditional update (pending → sending) before it is sent,
    so a task delivered twice, or two workers at once, send it once. A failed send goes back
    to pending and the error propagates so the task retries.
    """
    sent = 0
    pending = NotificationDelivery.objects.filter(
        notification_id=notification_id, status=NotificationDelivery.Status.PENDING
    ).values_list("pk", flat=True)
    for delivery_id in list(pending):
        claimed = NotificationDelivery.objects.filter(
            pk=delivery_id, status=NotificationDelivery.Status.PENDING
        ).update(
            status=NotificationDelivery.Status.SENDING,
            claimed_at=timezone.now(),
            attempts=F("attempts") + 1,
        )
        if not claimed:
            continue
        delivery = NotificationDelivery.objects.select_related("notification").get(pk=delivery_id)
        sender = SENDERS.get(delivery.channel)
        if sender is None:
            delivery.status = NotificationDelivery.Status.SKIPPED
            delivery.last_error = f"no sender for channel {delivery.channel}"
            delivery.save(update_fields=["status", "last_error"])
            continue
        try:
            sender(delivery)
        except Exception as error:
            delivery.status = NotificationDelivery.Status.PENDING
            delivery.last_error = f"{type(error).__name__}: {error}"[:500]
            delivery.save(update_fields=["status", "last_error"])
            logger.warning("notification delivery %s over %s failed", delivery.pk, delivery.channel)
            raise
        delivery.status = NotificationDelivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.last_error = ""
        delivery.save(update_fields=["status", "sent_at", "last_error"])
        sent += 1
    return sent


def notification_deliveries_give_up(*, notification_id: int, error: str) -> None:
    """After the last retry: the pending deliveries are marked failed, for operators to see."""
    NotificationDelivery.objects.filter(
        notification_id=notification_id, status=NotificationDelivery.Status.PENDING
    ).update(status=NotificationDelivery.Status.FAILED, last_error=error[:500])


# A send takes seconds; a delivery still "sending" after this was claimed by a worker that
# stopped (killed, restarted, lost its host) before it could record the outcome.
STUCK_SENDING_AFTER = dt.timedelta(minutes=15)


def notification_deliveries_stuck_fail(*, now: dt.datetime | None = None) -> int:
    """Marks deliveries left "sending" by a stopped worker as failed, for operators to see and
    retry from the admin. Never sent again by itself: the message may have gone out before the
    worker stopped, and a delivery is sent at most once. Returns how many."""
    now = now or timezone.now()
    return NotificationDelivery.objects.filter(
        status=NotificationDelivery.Status.SENDING, claimed_at__lt=now - STUCK_SENDING_AFTER
    ).update(
        status=NotificationDelivery.Status.FAILED,
        last_error="The worker stopped while sending; it is not known whether it arrived.",
    )


def notification_deliveries_retry(*, delivery_ids: list[int]) -> int:
    """Puts failed deliveries back in the queue (an operator fixed the address or the server)."""
    from notifications.tasks import deliver_notification

    with transaction.atomic():
        failed = list(
            NotificationDelivery.objects.select_for_update()
            .filter(pk__in=delivery_ids, status=NotificationDelivery.Status.FAILED)
            .values_list("pk", "notification_id")
        )
        NotificationDelivery.objects.filter(pk__in=[pk for pk, _n in failed]).update(
            status=NotificationDelivery.Status.PENDING, last_error=""
        )
        for notification_id in sorted({notification_id for _pk, notification_id in failed}):
            deliver_notification.delay_on_commit(notification_id)
    return len(failed)


def notification_mark_read(*, user: Any, notification_id: int) -> Notification:
    """Marks one of the user's own notifications read; reading it again changes nothing."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(pk=notification_id, recipient=user)
            .first()
        )
        if notification is None:
            raise NotFound(_("Notification not found."))
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification
