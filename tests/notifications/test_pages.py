"""The inbox and preferences pages, and the bell with the unread count on every page."""

from __future__ import annotations

import pytest
from django.test import Client

from notifications.models import NotificationPreference, NotificationSettings
from tests.accounts.factories import PatientUserFactory
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient_web(patient_user) -> Client:
    client = Client()
    client.force_login(patient_user)
    return client


def test_the_bell_shows_the_unread_count_at_the_cost_of_one_query(patient_web, patient_user):
    NotificationFactory.create_batch(3, recipient=patient_user)
    NotificationFactory(recipient=patient_user, read_at="2026-12-01T10:00:00+08:00")
    NotificationFactory()  # someone else's
    patient_web.get("/me/patients/")  # warm the session and caches
    page = patient_web.get("/me/patients/")
    assert '<span class="badge">3</span>' in page.content.decode()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as with_bell:
        patient_web.get("/me/patients/")
    counts = [
        q["sql"] for q in with_bell.captured_queries if "notifications_notification" in q["sql"]
    ]
    assert len(counts) == 1


def test_a_visitor_costs_no_query_for_the_bell(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get("/accounts/login/")
    assert not [q for q in queries.captured_queries if "notifications_notification" in q["sql"]]


def test_the_inbox_lists_my_notifications_in_my_language(patient_web, patient_user):
    NotificationFactory(recipient=patient_user, subject="处方已通过", body="请查看。")
    NotificationFactory(subject="别人的通知")
    page = patient_web.get("/me/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert page.status_code == 200
    assert "处方已通过" in text
    assert "别人的通知" not in text


def test_reading_from_the_inbox_marks_read_and_another_patients_is_404(patient_web, patient_user):
    mine = NotificationFactory(recipient=patient_user)
    theirs = NotificationFactory(recipient=PatientUserFactory())
    assert patient_web.post(f"/me/notifications/{mine.pk}/read/").status_code == 302
    mine.refresh_from_db()
    assert mine.is_read
    assert patient_web.post(f"/me/notifications/{theirs.pk}/read/").status_code == 404


def test_the_preferences_page_saves_channels_and_quiet_hours(patient_web, patient_user):
    assert patient_web.get("/me/notifications/preferences/").status_code == 200
    answer = patient_web.post(
        "/me/notifications/preferences/",
        {
            "language": "en",
            "phone": "13800138000",
            "quiet_hours_enabled": "on",
            "quiet_hours_start": "23:00",
            "quiet_hours_end": "07:00",
            "general:sms": "on",
        },
    )
    assert answer.status_code == 302
    person = NotificationSettings.objects.get(user=patient_user)
    assert (person.language, str(person.quiet_hours_start)) == ("en", "23:00:00")
    chosen = dict(
        NotificationPreference.objects.filter(user=patient_user, kind="general").values_list(
            "channel", "enabled"
        )
    )
    assert chosen == {"email": False, "sms": True, "wechat": False}


def test_the_pages_need_a_signed_in_person(client):
    assert client.get("/me/notifications/").status_code == 302
