from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import PageNumberPagination
from notifications.api.serializers import (
    NotificationListInput,
    NotificationOutput,
    NotificationPageOutput,
)
from notifications.selectors import notification_list
from notifications.services import notification_mark_read


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
