from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.models import Notification, NotificationDelivery
from notifications.services import notification_deliveries_retry


class NotificationDeliveryInline(admin.TabularInline):
    model = NotificationDelivery
    extra = 0
    can_delete = False
    fields = ("channel", "status", "address", "attempts", "last_error", "claimed_at", "sent_at")
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
    list_filter = ("channel", "status", "created_at")
    search_fields = ("address", "notification__recipient__email", "notification__subject")
    list_select_related = ("notification",)
    readonly_fields = (
        "notification",
        "channel",
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
