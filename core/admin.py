from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.models import OutboxMessage
from core.outbox import outbox_message_relay


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Operators see what has not reached the worker yet (filter: sent at → empty) and may
    publish it again once the broker is back."""

    list_display = ("id", "task_name", "created_at", "sent_at", "attempts", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), "task_name", "created_at")
    search_fields = ("task_name", "last_error")
    readonly_fields = ("task_name", "kwargs", "created_at", "sent_at", "attempts", "last_error")
    actions = ["relay_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows come from the changes that call for the work

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Send the selected unsent messages to the worker now"))
    def relay_selected(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        unsent = queryset.filter(sent_at__isnull=True).order_by("created_at", "id")
        count = sum(
            outbox_message_relay(message_id=pk) for pk in unsent.values_list("pk", flat=True)
        )
        left = queryset.filter(sent_at__isnull=True).count()
        self.message_user(
            request,
            ngettext(
                "%(count)d message sent, %(left)d still unsent.",
                "%(count)d messages sent, %(left)d still unsent.",
                count,
            )
            % {"count": count, "left": left},
            messages.SUCCESS if not left else messages.WARNING,
        )
