"""Reads of notifications, with the joins each caller needs."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from notifications.models import Notification


def notification_list(*, user: Any, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's own inbox, newest first."""
    notifications = Notification.objects.filter(recipient=user)
    if unread is True:
        notifications = notifications.filter(read_at__isnull=True)
    elif unread is False:
        notifications = notifications.filter(read_at__isnull=False)
    return notifications.order_by("-created_at", "-id")
