from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.serializers import ModelOutputSerializer
from notifications.kinds import kind_label
from notifications.models import Notification


class NotificationListInput(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


class NotificationOutput(ModelOutputSerializer):
    kind_label = serializers.SerializerMethodField()
    # In the language asked for (as written when the notification predates that).
    subject = serializers.CharField(source="subject_text", read_only=True, label=_("subject"))
    body = serializers.CharField(source="body_text", read_only=True, label=_("body"))
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = (
            "id",
            "kind",
            "kind_label",
            "subject",
            "body",
            "link",
            "created_at",
            "read_at",
            "is_read",
        )
        read_only_fields = fields

    def get_kind_label(self, notification: Notification) -> str:
        return kind_label(notification.kind)


class NotificationPageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = NotificationOutput(many=True)
