"""Caregivers: a family member on the account gets SMS copies of the kinds the account holder
chose, including out-of-range readings from a paired device; nothing else."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import PatientProfile
from hospital.records.services.readings import DEVICE_READING_ALERT_KIND
from notifications.models import Caregiver, NotificationDelivery
from notifications.services import caregiver_set, notification_send
from tests.accounts.factories import PatientProfileFactory, PatientUserFactory
from tests.hospital.record_factories import ConsultationFactory

pytestmark = pytest.mark.django_db

REMINDER = "hospital.appointment_reminder"
SHIPPED = "pharmacy.order_shipped"
CAREGIVERS = "/api/v1/me/caregivers/"


@pytest.fixture
def account():
    return PatientUserFactory()


@pytest.fixture
def daughter(account):
    return PatientProfileFactory(
        account=account,
        relationship=PatientProfile.Relationship.CHILD,
        real_name="李小红",
        phone="+8613900139000",
    )


@pytest.fixture
def client_for(account):
    client = APIClient()
    client.force_authenticate(account)
    return client


def send(recipient, kind, key, **extra):
    return notification_send(
        recipient=recipient,
        kind=kind,
        subject="提醒",
        body="明天 14:00 问诊。",
        dedupe_key=key,
        **extra,
    )


def copies(notification) -> list[tuple[str, str]]:
    return list(
        notification.deliveries.filter(caregiver__isnull=False).values_list("channel", "address")
    )


def test_a_caregiver_gets_an_sms_copy_of_the_chosen_kinds_only(
    account, daughter, django_capture_on_commit_callbacks, caplog
):
    caregiver_set(account=account, family_member_id=daughter.pk, kinds=[REMINDER])
    with (
        django_capture_on_commit_callbacks(execute=True),
        caplog.at_level(logging.INFO, logger="notifications.sms"),
    ):
        reminded = send(account, REMINDER, "a:1")
        shipped = send(account, SHIPPED, "o:1")
    assert copies(reminded) == [("sms", "+8613900139000")]
    assert copies(shipped) == []
    copy = reminded.deliveries.get(caregiver__isnull=False)
    assert copy.status == NotificationDelivery.Status.SENT
    assert any("SMS to +8613900139000" in line for line in caplog.messages)
    # The account holder's own email went out as before, beside the copy.
    assert reminded.deliveries.filter(caregiver__isnull=True, channel="email").exists()


def test_a_copy_is_sent_once_however_often_the_event_repeats(account, daughter):
    caregiver_set(account=account, family_member_id=daughter.pk, kinds=[REMINDER])
    send(account, REMINDER, "a:1")
    send(account, REMINDER, "a:1")
    assert NotificationDelivery.objects.filter(caregiver__isnull=False).count() == 1


def test_an_out_of_range_device_reading_reaches_the_caregiver_if_chosen(
    account, daughter, django_capture_on_commit_callbacks
):
    from tests.hospital.test_devices import _code, _device_client, _pair, _reading

    patient = PatientProfileFactory(account=account)
    ConsultationFactory(patient=patient)
    caregiver_set(account=account, family_member_id=daughter.pk, kinds=[DEVICE_READING_ALERT_KIND])
    client = APIClient()
    client.force_authenticate(account)
    token = _pair(_code(client, patient))[1]
    with django_capture_on_commit_callbacks(execute=True):
        _device_client(token).post(
            "/api/v1/devices/readings/", _reading(value="13.5"), format="json"
        )
        _device_client(token).post(
            "/api/v1/devices/readings/", _reading("m-2", value="5.6"), format="json"
        )
    copied = NotificationDelivery.objects.filter(caregiver__isnull=False)
    assert [(d.notification.kind, d.address) for d in copied] == [
        (DEVICE_READING_ALERT_KIND, "+8613900139000")
    ]
    # The account's own notice stays in the inbox: no email with health data.
    assert not NotificationDelivery.objects.filter(caregiver__isnull=True).exists()


def test_without_the_choice_a_device_reading_sends_no_copy(account, daughter):
    caregiver_set(account=account, family_member_id=daughter.pk, kinds=[REMINDER])
    send(account, DEVICE_READING_ALERT_KIND, "r:1", send_email=False)
    assert not NotificationDelivery.objects.exists()


def test_an_archived_family_member_gets_no_more_copies(account, daughter):
    caregiver_set(account=account, family_member_id=daughter.pk, kinds=[REMINDER])
    PatientProfile.objects.filter(pk=daughter.pk).update(is_archived=True)
    assert copies(send(account, REMINDER, "a:1")) == []


def test_the_api_adds_changes_lists_and_removes_a_caregiver(client_for, daughter):
    added = client_for.post(
        CAREGIVERS, {"family_member": daughter.pk, "kinds": [REMINDER]}, format="json"
    )
    assert added.status_code == 201, added.json()
    caregiver_id = added.json()["id"]
    changed = client_for.patch(
        f"{CAREGIVERS}{caregiver_id}/", {"kinds": [SHIPPED, REMINDER]}, format="json"
    )
    assert changed.json()["kinds"] == sorted([SHIPPED, REMINDER])
    listed = client_for.get(CAREGIVERS).json()
    assert [(row["family_member_name"], row["kinds"]) for row in listed] == [
        ("李小红", sorted([SHIPPED, REMINDER]))
    ]
    assert client_for.delete(f"{CAREGIVERS}{caregiver_id}/").status_code == 204
    assert not Caregiver.objects.exists()


def test_the_account_holder_themself_cannot_be_a_caregiver(account, client_for):
    holder = PatientProfileFactory(account=account)
    response = client_for.post(
        CAREGIVERS, {"family_member": holder.pk, "kinds": [REMINDER]}, format="json"
    )
    assert response.status_code == 400
    assert "family_member" in str(response.json())
    assert not Caregiver.objects.exists()


def test_a_family_member_without_a_phone_is_refused(account, client_for):
    son = PatientProfileFactory(
        account=account, relationship=PatientProfile.Relationship.CHILD, phone=""
    )
    response = client_for.post(CAREGIVERS, {"family_member": son.pk, "kinds": []}, format="json")
    assert response.status_code == 400
    assert not Caregiver.objects.exists()


def test_another_accounts_family_member_or_caregiver_is_not_found(account, daughter):
    caregiver = caregiver_set(account=account, family_member_id=daughter.pk, kinds=[REMINDER])
    stranger = APIClient()
    stranger.force_authenticate(PatientUserFactory())
    added = stranger.post(CAREGIVERS, {"family_member": daughter.pk, "kinds": []}, format="json")
    assert added.status_code == 404
    assert stranger.delete(f"{CAREGIVERS}{caregiver.pk}/").status_code == 404
    assert (
        stranger.patch(f"{CAREGIVERS}{caregiver.pk}/", {"kinds": []}, format="json").status_code
        == 404
    )
    caregiver.refresh_from_db()
    assert caregiver.kinds == [REMINDER]


@pytest.mark.parametrize(
    "payload",
    [{"family_member": "x", "kinds": []}, {"kinds": []}, {"family_member": 1, "kinds": ["nope"]}],
)
def test_bad_caregiver_input_is_refused(client_for, daughter, payload):
    if payload.get("family_member") == 1:
        payload = {**payload, "family_member": daughter.pk}
    response = client_for.post(CAREGIVERS, payload, format="json")
    assert response.status_code == 400
    assert not Caregiver.objects.exists()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_caregivers_page_adds_and_stops_copies(account, daughter, language):
    client = Client(headers={"accept-language": language})
    client.force_login(account)
    page = client.get("/me/notifications/caregivers/")
    assert page.status_code == 200
    assert ("添加照护人" if language == "zh-hans" else "Add a caregiver") in page.text
    client.post(
        "/me/notifications/caregivers/",
        {"action": "set", "family_member": daughter.pk, "kinds": [REMINDER, "no.such"]},
    )
    caregiver = Caregiver.objects.get()
    assert caregiver.kinds == [REMINDER]
    assert "李小红" in client.get("/me/notifications/caregivers/").text
    client.post("/me/notifications/caregivers/", {"action": "remove", "caregiver": caregiver.pk})
    assert not Caregiver.objects.exists()
