"""WeChat subscription messages: sent only with the person's consent for the kind (long-term
for medical services, one message per one-time consent), otherwise by SMS instead."""

from __future__ import annotations

import logging

import pytest

from notifications.models import NotificationDelivery, WechatSubscription
from notifications.services import (
    notification_send,
    notification_settings_update,
    wechat_subscription_grant,
)
from tests.accounts.factories import PatientUserFactory

pytestmark = pytest.mark.django_db

C = NotificationDelivery.Channel
REMINDER = "hospital.appointment_reminder"
SHIPPED = "pharmacy.order_shipped"


@pytest.fixture
def wechat_user():
    user = PatientUserFactory()
    notification_settings_update(
        user=user,
        phone="+8613800138000",
        wechat_openid="o-abc123",
        preferences=[
            {"kind": kind, "channel": channel, "enabled": channel == "wechat"}
            for kind in (REMINDER, SHIPPED)
            for channel in ("email", "sms", "wechat")
        ],
    )
    return user


def send(user, kind, key):
    return notification_send(
        recipient=user, kind=kind, subject="提醒", body="明天 14:00 问诊。", dedupe_key=key
    )


def channels(notification) -> dict[str, str]:
    return dict(notification.deliveries.values_list("channel", "address"))


def test_a_long_term_subscription_carries_every_medical_notice(
    wechat_user, django_capture_on_commit_callbacks, caplog
):
    wechat_subscription_grant(user=wechat_user, kinds=[REMINDER], mode="long_term")
    with (
        django_capture_on_commit_callbacks(execute=True),
        caplog.at_level(logging.INFO, logger="notifications.wechat"),
    ):
        first = send(wechat_user, REMINDER, "a:1")
        second = send(wechat_user, REMINDER, "a:2")
    assert channels(first) == {C.WECHAT: "o-abc123"}
    assert channels(second) == {C.WECHAT: "o-abc123"}
    assert first.deliveries.get().status == NotificationDelivery.Status.SENT
    assert sum("WeChat to o-abc123" in line for line in caplog.messages) == 2


def test_a_one_time_consent_allows_one_message_then_sms_takes_over(wechat_user):
    wechat_subscription_grant(user=wechat_user, kinds=[SHIPPED], mode="one_time")
    first = send(wechat_user, SHIPPED, "o:1")
    second = send(wechat_user, SHIPPED, "o:2")
    assert channels(first) == {C.WECHAT: "o-abc123"}
    assert channels(second) == {C.SMS: "+8613800138000"}
    consent = WechatSubscription.objects.get()
    assert consent.used_by == first
    assert consent.used_at is not None


def test_two_one_time_consents_allow_two_messages(wechat_user):
    wechat_subscription_grant(user=wechat_user, kinds=[SHIPPED, SHIPPED], mode="one_time")
    sent = [channels(send(wechat_user, SHIPPED, f"o:{n}")) for n in range(3)]
    assert sent == [{C.WECHAT: "o-abc123"}, {C.WECHAT: "o-abc123"}, {C.SMS: "+8613800138000"}]


def test_without_any_consent_the_notice_goes_by_sms(wechat_user):
    assert channels(send(wechat_user, REMINDER, "a:1")) == {C.SMS: "+8613800138000"}
    assert not WechatSubscription.objects.exists()


def test_a_consent_for_another_kind_does_not_count(wechat_user):
    wechat_subscription_grant(user=wechat_user, kinds=[REMINDER], mode="long_term")
    assert channels(send(wechat_user, SHIPPED, "o:1")) == {C.SMS: "+8613800138000"}


def test_without_an_openid_the_consent_is_kept_and_sms_is_sent(wechat_user):
    notification_settings_update(user=wechat_user, wechat_openid="")
    wechat_subscription_grant(user=wechat_user, kinds=[SHIPPED], mode="one_time")
    assert channels(send(wechat_user, SHIPPED, "o:1")) == {C.SMS: "+8613800138000"}
    assert WechatSubscription.objects.get().used_at is None


def test_a_resent_event_spends_no_second_consent(wechat_user):
    wechat_subscription_grant(user=wechat_user, kinds=[SHIPPED, SHIPPED], mode="one_time")
    send(wechat_user, SHIPPED, "o:1")
    send(wechat_user, SHIPPED, "o:1")
    assert WechatSubscription.objects.filter(used_at__isnull=True).count() == 1


def test_a_withdrawn_consent_no_longer_allows_messages(wechat_user, api_client):
    (consent,) = wechat_subscription_grant(user=wechat_user, kinds=[REMINDER], mode="long_term")
    api_client.force_authenticate(wechat_user)
    assert api_client.delete(f"/api/v1/me/wechat-subscriptions/{consent.pk}/").status_code == 204
    assert channels(send(wechat_user, REMINDER, "a:1")) == {C.SMS: "+8613800138000"}


def test_the_api_records_consents_and_lists_the_open_ones(wechat_user, api_client):
    api_client.force_authenticate(wechat_user)
    response = api_client.post(
        "/api/v1/me/wechat-subscriptions/",
        {"kinds": [REMINDER], "mode": "long_term"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    again = api_client.post(
        "/api/v1/me/wechat-subscriptions/",
        {"kinds": [REMINDER], "mode": "long_term"},
        format="json",
    )
    assert again.json()[0]["id"] == response.json()[0]["id"]
    listed = api_client.get("/api/v1/me/wechat-subscriptions/").json()
    assert [(row["kind"], row["mode"]) for row in listed] == [(REMINDER, "long_term")]


def test_a_shops_notice_cannot_get_a_long_term_subscription(wechat_user, api_client):
    api_client.force_authenticate(wechat_user)
    response = api_client.post(
        "/api/v1/me/wechat-subscriptions/",
        {"kinds": [REMINDER, SHIPPED], "mode": "long_term"},
        format="json",
    )
    assert response.status_code == 400
    assert "kinds[1]" in str(response.json())
    assert not WechatSubscription.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"kinds": ["no.such_kind"], "mode": "one_time"},
        {"kinds": [], "mode": "one_time"},
        {"kinds": [REMINDER], "mode": "forever"},
        {"mode": "one_time"},
    ],
)
def test_bad_consent_input_is_refused_and_records_nothing(wechat_user, api_client, payload):
    api_client.force_authenticate(wechat_user)
    response = api_client.post("/api/v1/me/wechat-subscriptions/", payload, format="json")
    assert response.status_code == 400
    assert not WechatSubscription.objects.exists()


def test_another_persons_consent_cannot_be_withdrawn(wechat_user, api_client):
    (consent,) = wechat_subscription_grant(user=wechat_user, kinds=[REMINDER], mode="long_term")
    api_client.force_authenticate(PatientUserFactory())
    assert api_client.delete(f"/api/v1/me/wechat-subscriptions/{consent.pk}/").status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
