from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import PageNumberPagination
from notifications.api.serializers import (
    CaregiverInput,
    CaregiverOutput,
    CaregiverUpdateInput,
    NotificationListInput,
    NotificationOutput,
    NotificationPageOutput,
    NotificationSettingsInput,
    NotificationSettingsOutput,
    WechatSubscriptionInput,
    WechatSubscriptionOutput,
)
from notifications.selectors import (
    caregiver_check_own,
    caregiver_list,
    notification_list,
    notification_preference_table,
    notification_settings_get,
    wechat_subscription_list,
)
from notifications.services import (
    caregiver_remove,
    caregiver_set,
    caregiver_update,
    notification_mark_read,
    notification_settings_update,
    wechat_subscription_grant,
    wechat_subscription_withdraw,
)


class NotificationListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_list",
        summary="My notifications, newest first",
        parameters=[
            OpenApiParameter(
                "unread",
                OpenApiTypes.BOOL,
                description="true: only unread; false: only read; absent: all",
            ),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses=NotificationPageOutput,
    )
    def get(self, request: Request) -> Response:
        filters = NotificationListInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        unread = filters.validated_data["unread"]
        notifications = notification_list(user=request.user, unread=unread)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(notifications, request, view=self)
        return paginator.get_paginated_response(NotificationOutput(page, many=True).data)


class NotificationReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_read",
        summary="Mark one of my notifications read",
        request=None,
        responses=NotificationOutput,
    )
    def post(self, request: Request, pk: int) -> Response:
        notification = notification_mark_read(user=request.user, notification_id=pk)
        return Response(NotificationOutput(notification).data)


def _settings_output(user: Any) -> dict[str, Any]:
    person = notification_settings_get(user=user)
    return NotificationSettingsOutput(
        {
            "language": person.language,
            "phone": str(person.phone or ""),
            "quiet_hours_enabled": person.quiet_hours_enabled,
            "quiet_hours_start": person.quiet_hours_start,
            "quiet_hours_end": person.quiet_hours_end,
            "time_zone": person.time_zone,
            "wechat_openid": person.wechat_openid,
            "preferences": notification_preference_table(user=user),
        }
    ).data


class NotificationPreferencesApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_notification_preferences_get",
        summary="How I am notified: language, SMS phone, quiet hours, kinds per channel",
        responses=NotificationSettingsOutput,
    )
    def get(self, request: Request) -> Response:
        return Response(_settings_output(request.user))

    @extend_schema(
        operation_id="me_notification_preferences_update",
        summary="Change how I am notified (only the fields given)",
        request=NotificationSettingsInput,
        responses=NotificationSettingsOutput,
    )
    def patch(self, request: Request) -> Response:
        given = NotificationSettingsInput(data=request.data)
        given.is_valid(raise_exception=True)
        fields = dict(given.validated_data)
        preferences = fields.pop("preferences", None)
        notification_settings_update(user=request.user, preferences=preferences, **fields)
        return Response(_settings_output(request.user))


class WechatSubscriptionsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_wechat_subscriptions_list",
        summary="My open WeChat consents (long-term, and one-time ones not yet used)",
        responses=WechatSubscriptionOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        subscriptions = wechat_subscription_list(user=request.user)
        return Response(WechatSubscriptionOutput(subscriptions, many=True).data)

    @extend_schema(
        operation_id="me_wechat_subscriptions_grant",
        summary="Record the consents given in WeChat's subscription prompt",
        request=WechatSubscriptionInput,
        responses={201: WechatSubscriptionOutput(many=True)},
    )
    def post(self, request: Request) -> Response:
        given = WechatSubscriptionInput(data=request.data)
        given.is_valid(raise_exception=True)
        granted = wechat_subscription_grant(user=request.user, **given.validated_data)
        return Response(WechatSubscriptionOutput(granted, many=True).data, status=201)


class WechatSubscriptionApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_wechat_subscriptions_withdraw",
        summary="Withdraw a WeChat consent",
        request=None,
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        wechat_subscription_withdraw(user=request.user, subscription_id=pk)
        return Response(status=204)


class CaregiversApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_caregivers_list",
        summary="Family members who get copies of my notices, and of which kinds",
        responses=CaregiverOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        return Response(CaregiverOutput(caregiver_list(account=request.user), many=True).data)

    @extend_schema(
        operation_id="me_caregivers_set",
        summary="Make a family member on my account a caregiver (or change their kinds)",
        request=CaregiverInput,
        responses={201: CaregiverOutput},
    )
    def post(self, request: Request) -> Response:
        given = CaregiverInput(data=request.data)
        given.is_valid(raise_exception=True)
        caregiver = caregiver_set(
            account=request.user,
            family_member_id=given.validated_data["family_member"],
            kinds=given.validated_data["kinds"],
        )
        return Response(CaregiverOutput(caregiver).data, status=201)


class CaregiverApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_caregivers_update",
        summary="Change which kinds a caregiver gets copies of",
        request=CaregiverUpdateInput,
        responses=CaregiverOutput,
    )
    def patch(self, request: Request, pk: int) -> Response:
        caregiver_check_own(account=request.user, caregiver_id=pk)
        given = CaregiverUpdateInput(data=request.data)
        given.is_valid(raise_exception=True)
        caregiver = caregiver_update(
            account=request.user, caregiver_id=pk, kinds=given.validated_data["kinds"]
        )
        return Response(CaregiverOutput(caregiver).data)

    @extend_schema(
        operation_id="me_caregivers_remove",
        summary="Stop copies to a caregiver",
        request=None,
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        caregiver_remove(account=request.user, caregiver_id=pk)
        return Response(status=204)
