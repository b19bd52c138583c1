from django.urls import path

from notifications import pages

app_name = "notifications"
urlpatterns = [
    path("me/notifications/", pages.inbox, name="inbox"),
    path(
        "me/notifications/<int:notification_id>/read/",
        pages.notification_read,
        name="notification_read",
    ),
    path("me/notifications/preferences/", pages.preferences, name="preferences"),
    path("me/notifications/caregivers/", pages.caregivers, name="caregivers"),
]
