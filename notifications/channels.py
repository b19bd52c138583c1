"""Senders per delivery channel. Each takes the delivery (with its notification) and raises on a
failure worth retrying. SMS and push plug in here."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mail

from core.links import absolute_url
from notifications.models import NotificationDelivery


def _send_email(delivery: NotificationDelivery) -> None:
    notification = delivery.notification
    body = notification.body
    if notification.link:
        body = f"{body}\n\n{absolute_url(notification.link)}"
    send_mail(
        subject=notification.subject,
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[delivery.address],
        fail_silently=False,
    )


SENDERS: dict[str, Callable[[NotificationDelivery], None]] = {
    NotificationDelivery.Channel.EMAIL: _send_email,
}
