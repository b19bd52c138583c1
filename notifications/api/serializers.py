from __future__ import annotations

from rest_framework import serializers

from core.api.serializers import ModelOutputSerializer
from notifications.kinds import kind_label
from notifications.models import Notification


class NotificationListInput(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


class NotificationOutput(ModelOutputSerializer):
    kind_label = serializers.SerializerMethodField()
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
