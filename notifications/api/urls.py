from django.urls import path

from notifications.api import views

app_name = "notifications_api"
urlpatterns = [
    path(
        "me/notification-preferences/",
        views.NotificationPreferencesApi.as_view(),
        name="notification-preferences",
    ),
    path(
        "me/wechat-subscriptions/",
        views.WechatSubscriptionsApi.as_view(),
        name="wechat-subscriptions",
    ),
    path(
        "me/wechat-subscriptions/<int:pk>/",
        views.WechatSubscriptionApi.as_view(),
        name="wechat-subscription",
    ),
    path("me/caregivers/", views.CaregiversApi.as_view(), name="caregivers"),
    path("me/caregivers/<int:pk>/", views.CaregiverApi.as_view(), name="caregiver"),
    path("notifications/", views.NotificationListApi.as_view(), name="notification-list"),
    path(
        "notifications/<int:pk>/read/",
        views.NotificationReadApi.as_view(),
        name="notification-read",
    ),
]
