from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from core.api.serializers import ModelOutputSerializer
from notifications.kinds import kind_label
from notifications.models import Caregiver, Notification, WechatSubscription


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


class NotificationPreferenceInput(serializers.Serializer):
    kind = serializers.CharField(max_length=64)
    channel = serializers.CharField(max_length=16)
    enabled = serializers.BooleanField()


class NotificationSettingsInput(serializers.Serializer):
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    phone = PhoneNumberField(region="CN", required=False, allow_blank=True)
    quiet_hours_enabled = serializers.BooleanField(required=False)
    quiet_hours_start = serializers.TimeField(required=False)
    quiet_hours_end = serializers.TimeField(required=False)
    time_zone = serializers.ChoiceField(
        choices=sorted(zoneinfo.available_timezones()), required=False
    )
    wechat_openid = serializers.CharField(max_length=64, required=False, allow_blank=True)
    preferences = NotificationPreferenceInput(many=True, required=False)


class NotificationKindPreferenceOutput(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    optional = serializers.BooleanField()
    channels = serializers.DictField(child=serializers.BooleanField())


class NotificationSettingsOutput(serializers.Serializer):
    language = serializers.CharField()
    phone = serializers.CharField()
    quiet_hours_enabled = serializers.BooleanField()
    quiet_hours_start = serializers.TimeField()
    quiet_hours_end = serializers.TimeField()
    time_zone = serializers.CharField()
    wechat_openid = serializers.CharField()
    preferences = NotificationKindPreferenceOutput(many=True)


class WechatSubscriptionInput(serializers.Serializer):
    kinds = serializers.ListField(
        child=serializers.CharField(max_length=64), min_length=1, max_length=20
    )
    mode = serializers.ChoiceField(choices=WechatSubscription.Mode.choices)


class WechatSubscriptionOutput(ModelOutputSerializer):
    kind_label = serializers.SerializerMethodField()

    class Meta:
        model = WechatSubscription
        fields = ("id", "kind", "kind_label", "mode", "granted_at")
        read_only_fields = fields

    def get_kind_label(self, subscription: WechatSubscription) -> str:
        return kind_label(subscription.kind)


class CaregiverInput(serializers.Serializer):
    family_member = serializers.IntegerField(min_value=1)
    kinds = serializers.ListField(
        child=serializers.CharField(max_length=64), allow_empty=True, max_length=100
    )


class CaregiverUpdateInput(serializers.Serializer):
    kinds = serializers.ListField(
        child=serializers.CharField(max_length=64), allow_empty=True, max_length=100
    )


class CaregiverOutput(ModelOutputSerializer):
    family_member_name = serializers.CharField(source="family_member.real_name", read_only=True)
    relationship = serializers.CharField(source="family_member.relationship", read_only=True)

    class Meta:
        model = Caregiver
        fields = ("id", "family_member", "family_member_name", "relationship", "kinds")
        read_only_fields = fields
