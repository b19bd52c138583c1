from django.urls import path

from notifications.api import views

app_name = "notifications_api"
urlpatterns = [
    path("notifications/", views.NotificationListApi.as_view(), name="notification-list"),
    path(
        "notifications/<int:pk>/read/",
        views.NotificationReadApi.as_view(),
        name="notification-read",
    ),
]
