"""How a person is reached: kinds per channel, SMS in their language, mandatory kinds."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.utils.translation import gettext_noop

from core.system_text import system_text
from notifications.models import NotificationDelivery, NotificationSettings
from notifications.services import notification_send

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/notification-preferences/"


def test_the_defaults_are_email_on_and_sms_off(patient_client):
    answer = patient_client.get(URL)
    assert answer.status_code == 200
    body = answer.json()
    assert body["language"] == "zh-hans"
    assert body["quiet_hours_start"] == "22:00:00"
    assert body["quiet_hours_end"] == "08:00:00"
    general = next(row for row in body["preferences"] if row["kind"] == "general")
    assert general["channels"] == {"email": True, "sms": False, "wechat": False}


def test_a_person_turns_sms_on_and_email_off_for_a_kind(
    patient_client, patient_user, django_capture_on_commit_callbacks
):
    answer = patient_client.patch(
        URL,
        {
            "phone": "+8613800138000",
            "language": "en",
            "preferences": [
                {"kind": "general", "channel": "sms", "enabled": True},
                {"kind": "general", "channel": "email", "enabled": False},
            ],
        },
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    general = next(row for row in answer.json()["preferences"] if row["kind"] == "general")
    assert general["channels"] == {"email": False, "sms": True, "wechat": False}

    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_send(
            recipient=patient_user,
            kind="general",
            subject="s",
            body="b",
            dedupe_key="prefs:1",
        )
    deliveries = {d.channel: d for d in notification.deliveries.all()}
    assert set(deliveries) == {"sms"}
    assert deliveries["sms"].address == "+8613800138000"
    assert deliveries["sms"].status == NotificationDelivery.Status.SENT
    assert mail.outbox == []


def test_an_sms_is_written_in_the_recipients_language(
    patient_user, caplog, django_capture_on_commit_callbacks
):
    NotificationSettings.objects.create(user=patient_user, language="zh-hans", phone="13800138000")
    from notifications.services import notification_settings_update

    notification_settings_update(
        user=patient_user, preferences=[{"kind": "general", "channel": "sms", "enabled": True}]
    )
    with (
        caplog.at_level(logging.INFO, logger="notifications.sms"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification_send(  # sent by a process speaking English (the test's default)
            recipient=patient_user,
            kind="general",
            subject=system_text(gettext_noop("Your prescription was not approved")),
            body="b",
            dedupe_key="prefs:lang",
        )
    assert "+8613800138000" in caplog.text
    assert "'subject': '您的处方未通过审核'" in caplog.text


def test_a_mandatory_kind_keeps_its_email_whatever_was_stored(patient_user):
    from notifications.models import NotificationPreference

    NotificationPreference.objects.create(
        user=patient_user, kind="operations.alert", channel="email", enabled=False
    )
    notification = notification_send(
        recipient=patient_user, kind="operations.alert", subject="s", body="b", dedupe_key="m:1"
    )
    assert [d.channel for d in notification.deliveries.all()] == ["email"]


@pytest.mark.parametrize(
    ("preference", "field"),
    [
        ({"kind": "no.such.kind", "channel": "email", "enabled": True}, "kind"),
        ({"kind": "general", "channel": "pigeon", "enabled": True}, "channel"),
        ({"kind": "operations.alert", "channel": "email", "enabled": False}, "enabled"),
    ],
)
def test_bad_preferences_are_refused_and_change_nothing(patient_client, preference, field):
    answer = patient_client.patch(
        URL,
        {"language": "en", "preferences": [preference]},
        format="json",
    )
    assert answer.status_code == 400
    assert field in str(answer.json())
    assert patient_client.get(URL).json()["language"] == "zh-hans"


def test_bad_settings_get_field_errors(patient_client):
    answer = patient_client.patch(
        URL, {"language": "fr", "quiet_hours_start": "25:00"}, format="json"
    )
    assert answer.status_code == 400
    assert {"language", "quiet_hours_start"} <= set(str(answer.json()).replace("'", " ").split())


def test_preferences_need_a_signed_in_person(api_client):
    assert api_client.get(URL).status_code in (401, 403)
