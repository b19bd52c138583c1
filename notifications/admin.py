from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.models import (
    Caregiver,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    NotificationSettings,
    ScheduledNotification,
    WechatSubscription,
)
from notifications.services import notification_deliveries_retry, scheduled_notifications_cancel


class NotificationDeliveryInline(admin.TabularInline):
    model = NotificationDelivery
    extra = 0
    can_delete = False
    fields = (
        "channel",
        "caregiver",
        "status",
        "address",
        "attempts",
        "last_error",
        "claimed_at",
        "sent_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("subject", "recipient", "kind", "created_at", "read_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("recipient__email", "subject", "dedupe_key")
    date_hierarchy = "created_at"
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)
    readonly_fields = ("dedupe_key", "created_at", "read_at")
    inlines = [NotificationDeliveryInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Notifications come from events (services), each once; a hand-made one has no event.
        return False


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    list_display = ("notification", "channel", "status", "address", "attempts", "sent_at")
    list_filter = (
        "channel",
        "status",
        ("caregiver", admin.EmptyFieldListFilter),
        "created_at",
    )
    search_fields = ("address", "notification__recipient__email", "notification__subject")
    list_select_related = ("notification",)
    readonly_fields = (
        "notification",
        "channel",
        "caregiver",
        "address",
        "attempts",
        "last_error",
        "created_at",
        "claimed_at",
        "sent_at",
    )
    actions = ["retry_failed"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Retry the selected failed deliveries"))
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[NotificationDelivery]) -> None:
        count = notification_deliveries_retry(
            delivery_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again.",
                "%(count)d deliveries queued again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ScheduledNotification)
class ScheduledNotificationAdmin(admin.ModelAdmin):
    list_display = ("dedupe_key", "recipient", "kind", "status", "due_at", "critical", "sent_at")
    list_filter = ("status", "kind", "critical", "due_at")
    search_fields = ("dedupe_key", "recipient__email", "subject")
    date_hierarchy = "due_at"
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient", "notification")
    readonly_fields = (
        "dedupe_key",
        "status",
        "scheduled_for",
        "notification",
        "created_at",
        "updated_at",
        "sent_at",
        "cancelled_at",
    )
    actions = ["cancel_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Scheduled by the event that needs them (a booking, a dispensed prescription).
        return False

    @admin.action(description=_("Cancel the selected scheduled notifications"))
    def cancel_selected(
        self, request: HttpRequest, queryset: QuerySet[ScheduledNotification]
    ) -> None:
        count = scheduled_notifications_cancel(
            scheduled_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d scheduled notification cancelled.",
                "%(count)d scheduled notifications cancelled.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "language", "phone", "quiet_hours_enabled", "quiet_hours_start")
    search_fields = ("user__email", "phone")
    raw_id_fields = ("user",)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "channel", "enabled")
    list_filter = ("channel", "enabled", "kind")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)


@admin.register(WechatSubscription)
class WechatSubscriptionAdmin(admin.ModelAdmin):
    """The consents people gave in WeChat, as recorded: read, never made up by hand."""

    list_display = ("user", "kind", "mode", "granted_at", "used_at", "withdrawn_at")
    list_filter = (
        "mode",
        "kind",
        ("used_at", admin.EmptyFieldListFilter),
        ("withdrawn_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("user__email", "kind")
    list_select_related = ("user",)
    raw_id_fields = ("user", "used_by")
    readonly_fields = ("user", "kind", "mode", "granted_at", "used_by", "used_at", "withdrawn_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Caregiver)
class CaregiverAdmin(admin.ModelAdmin):
    list_display = ("account", "family_member", "kinds", "updated_at")
    search_fields = ("account__email", "family_member__real_name")
    list_select_related = ("account", "family_member")
    raw_id_fields = ("account", "family_member")
    readonly_fields = ("account", "family_member", "created_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Chosen by the account holder, for a family member on their own account.
        return False
