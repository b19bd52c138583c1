"""Senders per delivery channel. Each takes the delivery (with its notification) and raises on a
failure worth retrying. Each writes in the recipient's language, whatever the worker speaks."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation

from core.links import absolute_url
from notifications.models import NotificationDelivery, NotificationSettings
from notifications.sms import sms_gateway
from notifications.wechat import wechat_gateway


def recipient_language(user_id: int) -> str:
    language = (
        NotificationSettings.objects.filter(user_id=user_id)
        .values_list("language", flat=True)
        .first()
    )
    return language or settings.LANGUAGE_CODE


def _texts(delivery: NotificationDelivery) -> tuple[str, str]:
    notification = delivery.notification
    with translation.override(recipient_language(notification.recipient_id)):
        return notification.subject_text, notification.body_text


def _send_email(delivery: NotificationDelivery) -> None:
    notification = delivery.notification
    subject, body = _texts(delivery)
    if notification.link:
        body = f"{body}\n\n{absolute_url(notification.link)}"
    send_mail(
        subject=subject,
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[delivery.address],
        fail_silently=False,
    )


def _send_sms(delivery: NotificationDelivery) -> None:
    # One approved template per kind of notice, filled with the texts already in the reader's
    # language: the gateway's templates hold the sign-off and the hospital's name.
    subject, body = _texts(delivery)
    sms_gateway().send(
        phone=delivery.address,
        template_id=delivery.notification.kind,
        params={"subject": subject, "body": body},
    )


def _send_wechat(delivery: NotificationDelivery) -> None:
    # Like SMS: one approved template per kind, its fields filled in the reader's language;
    # tapping the message opens the notice's page.
    subject, body = _texts(delivery)
    wechat_gateway().send(
        openid=delivery.address,
        template_id=delivery.notification.kind,
        params={"subject": subject, "body": body},
        page=delivery.notification.link,
    )


SENDERS: dict[str, Callable[[NotificationDelivery], None]] = {
    NotificationDelivery.Channel.EMAIL: _send_email,
    NotificationDelivery.Channel.SMS: _send_sms,
    NotificationDelivery.Channel.WECHAT: _send_wechat,
}
