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
from core.bulk import rows_update
from core.exceptions import DomainError, NotFound
from core.outbox import outbox_enqueue
from core.system_text import SystemText
from notifications.channels import SENDERS
from notifications.models import (
    Caregiver,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    NotificationSettings,
    ScheduledNotification,
    WechatSubscription,
)
from notifications.rules import quiet_hours_default, quiet_hours_end_after
from notifications.selectors import (
    WechatConsents,
    caregivers_by_account,
    outside_channels_by_user,
    wechat_consents_open,
)

logger = logging.getLogger(__name__)
Channel = NotificationDelivery.Channel
Status = NotificationDelivery.Status


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

    `send_email=False` keeps it in the inbox (health data, staff work): nothing goes out over
    the recipient's own channels, only the copies to caregivers who chose the kind.

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
            deliveries = _outside_deliveries(
                [(notification.pk, recipient, notification.kind)],
                settings_by_user=dict(
                    (quiet.user_id, quiet)
                    for quiet in NotificationSettings.objects.filter(user=recipient)
                ),
                own_channels=send_email,
            )
            NotificationDelivery.objects.bulk_create(deliveries)
            # In the same transaction as the notification: a broker down now delays the
            # delivery instead of losing it.
            if any(delivery.status == Status.PENDING for delivery in deliveries):
                outbox_enqueue(deliver_notification, notification_id=notification.pk)
    except IntegrityError:
        # The same event was notified before (or is being, by a concurrent writer that has
        # just committed): the key's existing notification is the answer.
        return Notification.objects.get(dedupe_key=dedupe_key[:255])
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
            outbox_enqueue(deliver_notification, notification_id=notification_id)
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


def _text_fields(subject: str | SystemText, body: str | SystemText) -> dict[str, Any]:
    """Rendered texts and their sources, as a notification and a scheduled one store them."""
    return {
        "subject": str(subject)[:200],
        "body": str(body),
        "subject_msgid": subject.msgid if isinstance(subject, SystemText) else "",
        "body_msgid": body.msgid if isinstance(body, SystemText) else "",
        "text_params": {
            part: text.params
            for part, text in (("subject", subject), ("body", body))
            if isinstance(text, SystemText) and text.params
        },
    }


def notification_schedule(
    *,
    recipient: Any,
    kind: str,
    due_at: dt.datetime,
    subject: str | SystemText,
    body: str | SystemText,
    dedupe_key: str,
    link: str = "",
    critical: bool = False,
) -> ScheduledNotification:
    """Schedules a notice for `due_at`, once per `dedupe_key`.

    Scheduling the same key again (an appointment moved, a dose time changed) moves the unsent
    notice to the new time and texts; once it has been sent or cancelled nothing changes, so a
    retried caller never sends a reminder twice or brings a cancelled one back.
    """
    key = dedupe_key[:255]
    fields = {
        "recipient": recipient,
        "kind": kind[:64],
        "link": link[:500],
        "critical": critical,
        "due_at": due_at,
        "scheduled_for": due_at,
        **_text_fields(subject, body),
    }
    with transaction.atomic():
        scheduled = ScheduledNotification.objects.select_for_update().filter(dedupe_key=key).first()
        if scheduled is None:
            try:
                with transaction.atomic():
                    return ScheduledNotification.objects.create(dedupe_key=key, **fields)
            except IntegrityError:
                # A concurrent caller scheduled the same key and committed first.
                scheduled = ScheduledNotification.objects.select_for_update().get(dedupe_key=key)
        if scheduled.status != ScheduledNotification.Status.PENDING:
            return scheduled
        for name, value in fields.items():
            setattr(scheduled, name, value)
        scheduled.save(update_fields=[*fields, "updated_at"])
    return scheduled


def notification_schedule_cancel(*, dedupe_key_prefix: str) -> int:
    """Cancels the unsent notices whose key starts with the prefix (all reminders of one
    appointment: "appointment:42:"); returns how many. Sent ones stay as they were."""
    if not dedupe_key_prefix:
        raise ValueError("a prefix is required: an empty one would cancel every notice")
    return ScheduledNotification.objects.filter(
        dedupe_key__startswith=dedupe_key_prefix, status=ScheduledNotification.Status.PENDING
    ).update(
        status=ScheduledNotification.Status.CANCELLED,
        cancelled_at=timezone.now(),
        updated_at=timezone.now(),
    )


def scheduled_notifications_cancel(*, scheduled_ids: list[int]) -> int:
    """Cancels the given notices that are not yet sent (an operator's choice in the admin)."""
    return ScheduledNotification.objects.filter(
        pk__in=scheduled_ids, status=ScheduledNotification.Status.PENDING
    ).update(
        status=ScheduledNotification.Status.CANCELLED,
        cancelled_at=timezone.now(),
        updated_at=timezone.now(),
    )


def scheduled_notifications_dispatch(
    *, now: dt.datetime | None = None, batch_size: int = 1000
) -> int:
    """Sends every scheduled notice due by `now`, in batches; returns how many were sent.

    Each batch is one transaction: the due rows are claimed with SELECT … FOR UPDATE SKIP
    LOCKED (two workers take different rows; SQLite's write lock serializes them instead),
    their inbox notifications are written in one insert and the rows marked sent. A worker
    killed mid-batch commits nothing of it and the next scan claims the rows again; the
    notifications' unique dedupe keys keep even an overlapping writer from sending twice.
    Outside deliveries are queued after the commit.
    """
    now = now or timezone.now()
    sent = 0
    while True:
        claimed, batch_sent = _scheduled_batch_dispatch(now=now, batch_size=batch_size)
        sent += batch_sent
        if claimed < batch_size:
            return sent


def _scheduled_batch_dispatch(*, now: dt.datetime, batch_size: int) -> tuple[int, int]:
    from notifications.tasks import deliver_notifications

    with transaction.atomic():
        due = list(
            ScheduledNotification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=ScheduledNotification.Status.PENDING, due_at__lte=now)
            .select_related("recipient")
            .order_by("due_at", "id")[:batch_size]
        )
        if not due:
            return 0, 0
        quiet_by_user: dict[int, Any] = {
            quiet.user_id: quiet
            for quiet in NotificationSettings.objects.filter(
                user_id__in={scheduled.recipient_id for scheduled in due}
            )
        }
        default_quiet = quiet_hours_default()
        to_send: list[ScheduledNotification] = []
        for scheduled in due:
            quiet = quiet_by_user.get(scheduled.recipient_id, default_quiet)
            quiet_end = None if scheduled.critical else quiet_hours_end_after(quiet, now)
            if quiet_end is not None:
                # The whole notice waits for the end of the quiet hours, the inbox row with the
                # SMS and WeChat messages: the bell and the phone then tell the same thing at
                # the same moment, and a reminder read at 8:00 is not one the night hid.
                scheduled.due_at = quiet_end
                scheduled.save(update_fields=["due_at", "updated_at"])
            else:
                to_send.append(scheduled)
        keys = [scheduled.dedupe_key for scheduled in to_send]
        already = set(
            Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
        )
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=scheduled.recipient_id,
                    kind=scheduled.kind,
                    subject=scheduled.subject,
                    body=scheduled.body,
                    subject_msgid=scheduled.subject_msgid,
                    body_msgid=scheduled.body_msgid,
                    text_params=scheduled.text_params,
                    link=scheduled.link,
                    dedupe_key=scheduled.dedupe_key,
                )
                for scheduled in to_send
                if scheduled.dedupe_key not in already
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        notification_ids = dict(
            Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", "id")
        )
        fresh = [s for s in to_send if s.dedupe_key not in already]
        deliveries = _outside_deliveries(
            [(notification_ids[s.dedupe_key], s.recipient, s.kind) for s in fresh],
            settings_by_user=quiet_by_user,
        )
        NotificationDelivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=500)
        for scheduled in to_send:
            scheduled.status = ScheduledNotification.Status.SENT
            scheduled.sent_at = scheduled.updated_at = now
            scheduled.notification_id = notification_ids[scheduled.dedupe_key]
        rows_update(to_send, ["status", "sent_at", "updated_at", "notification"])
        to_deliver = sorted(
            {
                delivery.notification_id
                for delivery in deliveries
                if delivery.status == NotificationDelivery.Status.PENDING
            }
        )
        for start in range(0, len(to_deliver), DELIVERY_TASK_SIZE):
            outbox_enqueue(
                deliver_notifications,
                notification_ids=to_deliver[start : start + DELIVERY_TASK_SIZE],
            )
    return len(due), len(to_send)


# One task carries the deliveries of this many notifications: a batch of reminders becomes a
# few tasks, not a thousand.
DELIVERY_TASK_SIZE = 100


def _outside_deliveries(
    notices: list[tuple[int, Any, str]],
    *,
    settings_by_user: dict[int, NotificationSettings],
    own_channels: bool = True,
) -> list[NotificationDelivery]:
    """The delivery rows for (notification id, recipient, kind), over the channels the
    recipient chose for the kind, and the SMS copies for their caregivers who chose the kind;
    skipped where there is no address (or no active account).

    WeChat goes out only with the person's consent for the kind: a long-term subscription, or
    a one-time consent, which this message then uses up. Without one (or without an openid)
    the message falls back to SMS."""
    user_ids = {recipient.pk for _id, recipient, _kind in notices}
    kinds = {kind for _id, _recipient, kind in notices}
    channels = (
        outside_channels_by_user(user_ids=user_ids, kinds=kinds)
        if own_channels
        else {(user_id, kind): set() for user_id in user_ids for kind in kinds}
    )
    wanting_wechat = {
        user_id for (user_id, _kind), chosen in channels.items() if Channel.WECHAT in chosen
    }
    consents = wechat_consents_open(user_ids=wanting_wechat, kinds=kinds)
    copies = caregivers_by_account(account_ids=user_ids)
    deliveries = []
    for notification_id, recipient, kind in notices:
        person = settings_by_user.get(recipient.pk)
        active = getattr(recipient, "is_active", True)
        addresses: dict[str, str] = {
            Channel.EMAIL: (getattr(recipient, "email", "") or "").strip(),
            Channel.SMS: str(person.phone) if person and person.phone else "",
            Channel.WECHAT: person.wechat_openid if person else "",
        }
        chosen = set(channels[(recipient.pk, kind)])
        if Channel.WECHAT in chosen and not (
            addresses[Channel.WECHAT]
            and _wechat_consent_use(consents, recipient.pk, kind, notification_id)
        ):
            chosen.discard(Channel.WECHAT)
            chosen.add(Channel.SMS)
        for channel in sorted(chosen):
            address = addresses.get(channel, "")
            deliveries.append(
                NotificationDelivery(
                    notification_id=notification_id,
                    channel=channel,
                    address=address,
                    status=Status.PENDING if address and active else Status.SKIPPED,
                )
            )
        for caregiver, phone in copies.get(recipient.pk, []):
            if kind not in caregiver.kinds:
                continue
            deliveries.append(
                NotificationDelivery(
                    notification_id=notification_id,
                    channel=Channel.SMS,
                    caregiver=caregiver,
                    address=phone,
                    status=Status.PENDING if phone and active else Status.SKIPPED,
                )
            )
    return deliveries


def _wechat_consent_use(
    consents: dict[tuple[int, str], WechatConsents], user_id: int, kind: str, notification_id: int
) -> bool:
    """Whether a WeChat message of `kind` may go to the user now, using up a one-time consent
    when there is no long-term subscription. The consent is taken with a conditional update
    (unused → used by this notification), so two writers never spend the same one."""
    consent = consents.get((user_id, kind))
    if consent is None:
        return False
    if consent.long_term:
        return True
    while consent.one_time_ids:
        consent_id = consent.one_time_ids.pop(0)
        taken = WechatSubscription.objects.filter(
            pk=consent_id, used_at__isnull=True, withdrawn_at__isnull=True
        ).update(used_at=timezone.now(), used_by_id=notification_id)
        if taken:
            return True
    return False


def notification_remind(
    *,
    recipient: Any,
    kind: str,
    subject: str | SystemText,
    body: str | SystemText,
    dedupe_key: str,
    link: str = "",
    now: dt.datetime | None = None,
) -> None:
    """A reminder to one person now, once per `dedupe_key`, unless it is their quiet hours:
    then it waits as a scheduled notice for their end, like every other reminder."""
    now = now or timezone.now()
    quiet = NotificationSettings.objects.filter(user=recipient).first() or quiet_hours_default()
    quiet_end = quiet_hours_end_after(quiet, now)
    if quiet_end is None:
        notification_send(
            recipient=recipient,
            kind=kind,
            subject=subject,
            body=body,
            dedupe_key=dedupe_key,
            link=link,
        )
        return
    if Notification.objects.filter(dedupe_key=dedupe_key[:255]).exists():
        return  # sent on an earlier run
    notification_schedule(
        recipient=recipient,
        kind=kind,
        due_at=quiet_end,
        subject=subject,
        body=body,
        dedupe_key=dedupe_key,
        link=link,
    )


def notification_settings_update(
    *,
    user: Any,
    preferences: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> NotificationSettings:
    """Changes how the person is reached: language, phone, quiet hours (`fields`, as on
    NotificationSettings) and per kind and channel whether it goes out (`preferences`, items of
    kind, channel, enabled). Refuses an unknown kind or channel and turning off a kind that
    may not be turned off, and then changes nothing."""
    from notifications.kinds import KINDS
    from notifications.selectors import CHANNEL_DEFAULTS

    for index, preference in enumerate(preferences or []):
        kind = KINDS.get(preference["kind"])
        if kind is None:
            raise DomainError(
                _("Unknown kind of notification: %(kind)s.") % {"kind": preference["kind"]},
                field=f"preferences[{index}].kind",
            )
        if preference["channel"] not in CHANNEL_DEFAULTS:
            raise DomainError(
                _("Unknown channel: %(channel)s.") % {"channel": preference["channel"]},
                field=f"preferences[{index}].channel",
            )
        if not kind.optional and not preference["enabled"]:
            raise DomainError(
                _("“%(kind)s” notices cannot be turned off.") % {"kind": kind.label},
                field=f"preferences[{index}].enabled",
            )
    with transaction.atomic():
        person, _created = NotificationSettings.objects.select_for_update().get_or_create(user=user)
        if fields:
            for name, value in fields.items():
                setattr(person, name, value)
            person.save(update_fields=[*fields, "updated_at"])
        for preference in preferences or []:
            NotificationPreference.objects.update_or_create(
                user=user,
                kind=preference["kind"],
                channel=preference["channel"],
                defaults={"enabled": preference["enabled"]},
            )
    return person


def wechat_subscription_grant(
    *, user: Any, kinds: list[str], mode: str
) -> list[WechatSubscription]:
    """Records the consents the person gave in WeChat's subscription prompt: one per kind.

    A long-term subscription is refused for a kind outside the categories WeChat grants it to
    (the person can give one-time consents for it instead); granting a long-term one again
    keeps the one there is. Refuses an unknown kind, and then records nothing."""
    from notifications.kinds import KINDS
    from notifications.rules import wechat_long_term_allowed

    if mode not in WechatSubscription.Mode.values:
        raise DomainError(_("Choose a long-term or a one-time subscription."), field="mode")
    if not kinds:
        raise DomainError(_("Choose at least one kind of notice."), field="kinds")
    for index, kind in enumerate(kinds):
        if kind not in KINDS:
            raise DomainError(
                _("Unknown kind of notification: %(kind)s.") % {"kind": kind},
                field=f"kinds[{index}]",
            )
        if mode == WechatSubscription.Mode.LONG_TERM and not wechat_long_term_allowed(kind):
            raise DomainError(
                _(
                    "WeChat allows long-term subscriptions only for medical services; "
                    "“%(kind)s” needs a one-time consent for each message."
                )
                % {"kind": KINDS[kind].label},
                field=f"kinds[{index}]",
            )
    granted = []
    with transaction.atomic():
        for kind in kinds:
            if mode == WechatSubscription.Mode.LONG_TERM:
                existing = WechatSubscription.objects.filter(
                    user=user, kind=kind, mode=mode, withdrawn_at__isnull=True
                ).first()
                if existing is not None:
                    granted.append(existing)
                    continue
            granted.append(WechatSubscription.objects.create(user=user, kind=kind, mode=mode))
    return granted


def wechat_subscription_withdraw(*, user: Any, subscription_id: int) -> WechatSubscription:
    """The person withdraws a consent; withdrawing it again changes nothing."""
    with transaction.atomic():
        subscription = (
            WechatSubscription.objects.select_for_update()
            .filter(pk=subscription_id, user=user)
            .first()
        )
        if subscription is None:
            raise NotFound(_("No such WeChat subscription."))
        if subscription.withdrawn_at is None and subscription.used_at is None:
            subscription.withdrawn_at = timezone.now()
            subscription.save(update_fields=["withdrawn_at"])
    return subscription


def _caregiver_kinds_checked(kinds: list[str]) -> list[str]:
    from notifications.kinds import KINDS

    for index, kind in enumerate(kinds):
        if kind not in KINDS:
            raise DomainError(
                _("Unknown kind of notification: %(kind)s.") % {"kind": kind},
                field=f"kinds[{index}]",
            )
    return sorted(set(kinds))


def caregiver_set(*, account: Any, family_member_id: int, kinds: list[str]) -> Caregiver:
    """Makes a family member on the account a caregiver who gets SMS copies of `kinds`, or
    changes the kinds of one who is. The member must be one of the account's own profiles,
    not the holder themself, with a phone for the copies to go to."""
    from accounts.models import PatientProfile

    kinds = _caregiver_kinds_checked(kinds)
    member = PatientProfile.objects.filter(
        pk=family_member_id, account=account, is_archived=False
    ).first()
    if member is None:
        raise NotFound(_("No such family member on this account."), field="family_member")
    if member.relationship == PatientProfile.Relationship.SELF:
        raise DomainError(
            _("Choose a family member: the account holder gets every notice already."),
            field="family_member",
        )
    if not member.phone:
        raise DomainError(
            _("Add a phone number to %(name)s's profile first: copies go to it by SMS.")
            % {"name": member.real_name},
            field="family_member",
        )
    with transaction.atomic():
        caregiver, created = Caregiver.objects.select_for_update().get_or_create(
            account=account, family_member=member, defaults={"kinds": kinds}
        )
        if not created and caregiver.kinds != kinds:
            caregiver.kinds = kinds
            caregiver.save(update_fields=["kinds", "updated_at"])
    return caregiver


def caregiver_update(*, account: Any, caregiver_id: int, kinds: list[str]) -> Caregiver:
    kinds = _caregiver_kinds_checked(kinds)
    with transaction.atomic():
        caregiver = (
            Caregiver.objects.select_for_update().filter(pk=caregiver_id, account=account).first()
        )
        if caregiver is None:
            raise NotFound(_("No such caregiver."))
        caregiver.kinds = kinds
        caregiver.save(update_fields=["kinds", "updated_at"])
    return caregiver


def caregiver_remove(*, account: Any, caregiver_id: int) -> None:
    """The family member gets no more copies; the copies already sent stay on record."""
    deleted, _rows = Caregiver.objects.filter(pk=caregiver_id, account=account).delete()
    if not deleted:
        raise NotFound(_("No such caregiver."))
