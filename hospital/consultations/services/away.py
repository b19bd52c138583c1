"""A consultation message while the other side is away: each participant's last look at the
chat is kept; a message written when the other side has not seen the chat for
CONSULTATION_AWAY_AFTER tells them, once per burst.

A burst is the run of messages between two looks: the notice's dedupe key names the other
side's last look, so the second and later messages of a burst find the notice already sent,
and the first message after their next look (and a new absence) sends a new one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from core.system_text import system_text
from hospital.consultations.models import Consultation, ConsultationChatSeen, ConsultationMessage
from hospital.rules import figure
from notifications.kinds import kind_register
from notifications.models import Notification
from notifications.services import notification_send

CHAT_AWAY_KIND = kind_register(
    "hospital.consultation_message_away", gettext_lazy("New consultation message while away")
).key

# A look is written at most this often: the chat polls every few seconds.
SEEN_WRITE_EVERY = dt.timedelta(seconds=30)


def consultation_chat_seen(
    *, consultation: Consultation, user: Any, now: dt.datetime | None = None
) -> None:
    """Records that the participant has the chat open now (a page view, a poll, a message).

    The chat polls every few seconds: a look is written at most once per SEEN_WRITE_EVERY
    (the cache keeps when the last one was written), in one upsert, so a poll costs no query
    at all. The time compared is the look's own, not the cache's expiry, so a look is written
    when it is due whatever clock the cache keeps."""
    if not consultation.is_participant(user):
        return
    now = now or timezone.now()
    key = f"chat-seen:{consultation.pk}:{user.pk}"
    written = cache.get(key)
    if written is not None and 0 <= now.timestamp() - written < SEEN_WRITE_EVERY.total_seconds():
        return
    cache.set(key, now.timestamp(), timeout=SEEN_WRITE_EVERY.total_seconds())
    ConsultationChatSeen.objects.bulk_create(
        [ConsultationChatSeen(consultation=consultation, user=user, seen_at=now)],
        update_conflicts=True,
        unique_fields=["consultation", "user"],
        update_fields=["seen_at"],
    )


def _other_side(consultation: Consultation, sender_id: int) -> Any:
    if consultation.patient.account_id == sender_id:
        return consultation.doctor.user if consultation.doctor is not None else None
    return consultation.patient.account


def consultation_away_notify(*, message_id: int, now: dt.datetime | None = None) -> bool:
    """Tells the other side of the message's consultation about it if they are away; returns
    whether a notice went out now. The sender is counted as having seen the chat."""
    message = (
        ConsultationMessage.objects.select_related(
            "consultation__patient__account", "consultation__doctor__user"
        )
        .filter(pk=message_id, sender__isnull=False)
        .first()
    )
    if message is None or message.sender_id is None:
        return False
    now = now or timezone.now()
    consultation = message.consultation
    consultation_chat_seen(consultation=consultation, user=message.sender, now=now)
    recipient = _other_side(consultation, message.sender_id)
    if recipient is None or not recipient.is_active:
        return False
    seen_at = (
        ConsultationChatSeen.objects.filter(consultation=consultation, user=recipient)
        .values_list("seen_at", flat=True)
        .first()
    )
    if seen_at is not None and now - seen_at < figure("CONSULTATION_AWAY_AFTER"):
        return False  # they are in the chat, or just left it: they will see it there
    last_look = f"{seen_at.timestamp():.0f}" if seen_at else "never"
    key = f"chat-away:{consultation.pk}:{recipient.pk}:{last_look}"
    is_doctor_writing = consultation.patient.account_id != message.sender_id
    if Notification.objects.filter(dedupe_key=key).exists():
        return False  # this burst has its notice
    notification_send(
        recipient=recipient,
        kind=CHAT_AWAY_KIND,
        subject=system_text(gettext_noop("New message in your consultation")),
        body=(
            system_text(
                gettext_noop("The doctor wrote to %(patient)s in the consultation."),
                patient=consultation.patient.real_name,
            )
            if is_doctor_writing
            else system_text(
                gettext_noop("%(patient)s wrote in the consultation while you were away."),
                patient=consultation.patient.real_name,
            )
        ),
        dedupe_key=key,
        link=f"/consultations/{consultation.pk}/",
        # The message itself stays behind login; the notice only says there is one.
        send_email=is_doctor_writing,
    )
    return True
