"""Reads of notifications, with the joins each caller needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from notifications.kinds import KINDS
from notifications.models import (
    Caregiver,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    NotificationSettings,
    WechatSubscription,
)


def notification_list(*, user: Any, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's own inbox, newest first."""
    notifications = Notification.objects.filter(recipient=user)
    if unread is True:
        notifications = notifications.filter(read_at__isnull=True)
    elif unread is False:
        notifications = notifications.filter(read_at__isnull=False)
    return notifications.order_by("-created_at", "-id")


# What a person gets over each outside channel until they say otherwise: email, as before;
# SMS costs the hospital per message and reaches a phone at once, so it is asked for.
CHANNEL_DEFAULTS: dict[str, bool] = {
    NotificationDelivery.Channel.EMAIL: True,
    NotificationDelivery.Channel.SMS: False,
    # Reaches the person inside WeChat, with their consent per kind (WechatSubscription).
    NotificationDelivery.Channel.WECHAT: False,
}


def notification_preference_table(*, user: Any) -> list[dict[str, Any]]:
    """Every known kind with, per outside channel, whether this person gets it."""
    chosen = {
        (kind, channel): enabled
        for kind, channel, enabled in NotificationPreference.objects.filter(user=user).values_list(
            "kind", "channel", "enabled"
        )
    }
    return [
        {
            "kind": kind.key,
            "kind_label": str(kind.label),
            "optional": kind.optional,
            "channels": {
                channel: (not kind.optional and default) or chosen.get((kind.key, channel), default)
                for channel, default in CHANNEL_DEFAULTS.items()
            },
        }
        for kind in sorted(KINDS.values(), key=lambda kind: kind.key)
    ]


def outside_channels_by_user(
    *, user_ids: set[int], kinds: set[str]
) -> dict[tuple[int, str], set[str]]:
    """(user id, kind) → the outside channels it goes over, for the given users and kinds, in
    one query. A kind that may not be turned off keeps its default channels."""
    chosen = {
        (user_id, kind, channel): enabled
        for user_id, kind, channel, enabled in NotificationPreference.objects.filter(
            user_id__in=user_ids, kind__in=kinds
        ).values_list("user_id", "kind", "channel", "enabled")
    }
    channels: dict[tuple[int, str], set[str]] = {}
    for user_id in user_ids:
        for kind in kinds:
            mandatory = kind in KINDS and not KINDS[kind].optional
            channels[(user_id, kind)] = {
                channel
                for channel, default in CHANNEL_DEFAULTS.items()
                if (mandatory and default) or chosen.get((user_id, kind, channel), default)
            }
    return channels


def unread_notification_count(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_settings_get(*, user: Any) -> NotificationSettings:
    """The person's settings, or the defaults (unsaved) when they have set none."""
    person = NotificationSettings.objects.filter(user=user).first()
    return person or NotificationSettings(user=user)


@dataclass
class WechatConsents:
    """A person's open consents for one kind: a long-term subscription, and the one-time
    consents not yet used, oldest first."""

    long_term: bool = False
    one_time_ids: list[int] = field(default_factory=list)


def wechat_consents_open(
    *, user_ids: set[int], kinds: set[str]
) -> dict[tuple[int, str], WechatConsents]:
    """(user id, kind) → its open WeChat consents, in one query."""
    consents: dict[tuple[int, str], WechatConsents] = {}
    if not user_ids:
        return consents
    rows = (
        WechatSubscription.objects.filter(
            user_id__in=user_ids, kind__in=kinds, used_at__isnull=True, withdrawn_at__isnull=True
        )
        .order_by("granted_at", "id")
        .values_list("pk", "user_id", "kind", "mode")
    )
    for pk, user_id, kind, mode in rows:
        consent = consents.setdefault((user_id, kind), WechatConsents())
        if mode == WechatSubscription.Mode.LONG_TERM:
            consent.long_term = True
        else:
            consent.one_time_ids.append(pk)
    return consents


def wechat_subscription_list(*, user: Any) -> QuerySet[WechatSubscription]:
    """The person's consents still open (long-term ones, and one-time ones not yet used)."""
    return WechatSubscription.objects.filter(
        user=user, used_at__isnull=True, withdrawn_at__isnull=True
    ).order_by("kind", "granted_at", "id")


def caregivers_by_account(*, account_ids: set[int]) -> dict[int, list[tuple[Caregiver, str]]]:
    """Account id → its caregivers with the phone their copies go to, in one query. A family
    member whose profile is archived gets no more copies."""
    by_account: dict[int, list[tuple[Caregiver, str]]] = {}
    if not account_ids:
        return by_account
    caregivers = (
        Caregiver.objects.filter(account_id__in=account_ids, family_member__is_archived=False)
        .select_related("family_member")
        .order_by("pk")
    )
    for caregiver in caregivers:
        phone = str(caregiver.family_member.phone or "")
        by_account.setdefault(caregiver.account_id, []).append((caregiver, phone))
    return by_account


def caregiver_list(*, account: Any) -> QuerySet[Caregiver]:
    return (
        Caregiver.objects.filter(account=account, family_member__is_archived=False)
        .select_related("family_member")
        .order_by("pk")
    )


def caregiver_check_own(*, account: Any, caregiver_id: int) -> None:
    """NotFound unless the caregiver is on this account: asked before a change is read."""
    if not Caregiver.objects.filter(pk=caregiver_id, account=account).exists():
        raise NotFound(_("No such caregiver."))
