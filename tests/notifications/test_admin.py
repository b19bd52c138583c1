import pytest
from django.core import mail

from notifications.models import NotificationDelivery
from tests.accounts.factories import UserFactory, activate_totp
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    activate_totp(admin)
    client.force_login(admin)
    return client


def test_operators_find_notifications_by_recipient(admin_client):
    notification = NotificationFactory()
    NotificationDelivery.objects.create(notification=notification, channel="email")
    NotificationFactory()

    response = admin_client.get(
        "/admin/notifications/notification/", {"q": notification.recipient.email}
    )
    detail = admin_client.get(f"/admin/notifications/notification/{notification.pk}/change/")

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert detail.status_code == 200


def test_operators_retry_failed_deliveries_from_the_admin(
    admin_client, django_capture_on_commit_callbacks
):
    notification = NotificationFactory()
    delivery = NotificationDelivery.objects.create(
        notification=notification,
        channel="email",
        address=notification.recipient.email,
        status=NotificationDelivery.Status.FAILED,
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/notifications/notificationdelivery/",
            {"action": "retry_failed", "_selected_action": [delivery.pk]},
            follow=True,
        )

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == NotificationDelivery.Status.SENT
    assert len(mail.outbox) == 1


def test_operators_see_and_cancel_scheduled_notifications(admin_client):
    import datetime as dt

    from django.utils import timezone

    from notifications.models import ScheduledNotification
    from notifications.services import notification_schedule
    from tests.accounts.factories import PatientUserFactory

    patient = PatientUserFactory()
    due = timezone.now() + dt.timedelta(days=1)
    pending = notification_schedule(
        recipient=patient, kind="general", due_at=due, subject="s", body="b", dedupe_key="a:4"
    )
    neighbour = notification_schedule(
        recipient=patient, kind="general", due_at=due, subject="s", body="b", dedupe_key="a:40"
    )
    listing = admin_client.get("/admin/notifications/schedulednotification/")
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 2
    answer = admin_client.post(
        "/admin/notifications/schedulednotification/",
        {"action": "cancel_selected", "_selected_action": [pending.pk]},
    )
    assert answer.status_code == 302
    pending.refresh_from_db()
    neighbour.refresh_from_db()
    assert pending.status == ScheduledNotification.Status.CANCELLED
    assert neighbour.status == ScheduledNotification.Status.PENDING


def test_failed_sms_deliveries_are_listed_by_channel(admin_client):
    notification = NotificationFactory()
    NotificationDelivery.objects.create(
        notification=notification, channel="sms", status="failed", last_error="gateway 503"
    )
    listing = admin_client.get(
        "/admin/notifications/notificationdelivery/", {"channel": "sms", "status": "failed"}
    )
    assert listing.context["cl"].result_count == 1
