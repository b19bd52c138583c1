"""A notification reaches its recipient once per event: in the inbox and by email."""

from __future__ import annotations

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import transaction

from notifications.models import Notification, NotificationDelivery
from notifications.services import (
    notification_deliver,
    notification_deliveries_retry,
    notification_send,
    notification_send_to_operators,
)
from notifications.tasks import MAX_RETRIES, deliver_notification
from tests.accounts.factories import OperatorUserFactory, PatientUserFactory
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db


def send(recipient, key="rx-1:approved", **overrides):
    fields = {
        "recipient": recipient,
        "kind": "prescription.approved",
        "subject": "处方已通过审核",
        "body": "您的处方已通过药师审核,可以购药。",
        "dedupe_key": key,
        "link": "/prescriptions/1/",
    }
    return notification_send(**{**fields, **overrides})


def test_the_recipient_gets_an_inbox_entry_and_one_email(django_capture_on_commit_callbacks):
    patient = PatientUserFactory(email="li@example.test")

    with django_capture_on_commit_callbacks(execute=True):
        notification = send(patient)

    assert Notification.objects.get(recipient=patient) == notification
    assert notification.read_at is None
    (email,) = mail.outbox
    assert email.to == ["li@example.test"]
    assert email.subject == "处方已通过审核"
    assert "可以购药" in email.body
    assert "/prescriptions/1/" in email.body
    delivery = notification.deliveries.get()
    assert delivery.status == NotificationDelivery.Status.SENT
    assert delivery.sent_at is not None


def test_the_same_event_notifies_once(django_capture_on_commit_callbacks):
    patient = PatientUserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        first = send(patient)
        second = send(patient, subject="a retried task")

    assert first.pk == second.pk
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_nothing_is_emailed_when_the_callers_transaction_rolls_back(
    django_capture_on_commit_callbacks,
):
    patient = PatientUserFactory()

    def approve_then_fail() -> None:
        with transaction.atomic():
            send(patient)
            raise RuntimeError("the approval failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        approve_then_fail()

    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_in_app_only_notifications_send_no_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = send(PatientUserFactory(), send_email=False)

    assert callbacks == []
    assert not notification.deliveries.exists()
    assert mail.outbox == []


def test_an_account_without_a_usable_email_still_gets_the_inbox_entry(
    django_capture_on_commit_callbacks,
):
    inactive = PatientUserFactory(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(inactive)

    assert notification.deliveries.get().status == NotificationDelivery.Status.SKIPPED
    assert mail.outbox == []


def test_a_task_delivered_twice_emails_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        notification = send(PatientUserFactory())

    deliver_notification.delay(notification.pk)
    deliver_notification.delay(notification.pk)

    assert len(mail.outbox) == 1
    assert notification.deliveries.get().attempts == 1


def test_a_failed_send_is_retried_and_then_sent(monkeypatch, django_capture_on_commit_callbacks):
    from notifications import channels

    with django_capture_on_commit_callbacks(execute=False):
        notification = send(PatientUserFactory())
    real_sender = channels.SENDERS["email"]

    def broken(delivery):
        raise ConnectionError("SMTP server unreachable")

    monkeypatch.setitem(channels.SENDERS, "email", broken)
    with pytest.raises(ConnectionError):
        notification_deliver(notification_id=notification.pk)
    delivery = notification.deliveries.get()
    assert delivery.status == NotificationDelivery.Status.PENDING
    assert "unreachable" in delivery.last_error

    monkeypatch.setitem(channels.SENDERS, "email", real_sender)
    assert notification_deliver(notification_id=notification.pk) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(mail.outbox) == 1


def test_after_the_last_retry_the_delivery_is_marked_failed_and_can_be_retried(
    monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import channels

    with django_capture_on_commit_callbacks(execute=False):
        notification = send(PatientUserFactory())

    def broken(delivery):
        raise ConnectionError("SMTP server unreachable")

    monkeypatch.setitem(channels.SENDERS, "email", broken)
    with pytest.raises(Retry):
        deliver_notification.apply(args=[notification.pk])
    assert notification.deliveries.get().status == NotificationDelivery.Status.PENDING

    deliver_notification.apply(args=[notification.pk], retries=MAX_RETRIES)
    delivery = notification.deliveries.get()
    assert delivery.status == NotificationDelivery.Status.FAILED
    assert delivery.attempts == 2
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        assert notification_deliveries_retry(delivery_ids=[delivery.pk]) == 1

    delivery.refresh_from_db()
    assert delivery.status == NotificationDelivery.Status.SENT
    assert len(mail.outbox) == 1


def test_operators_are_each_notified_once(django_capture_on_commit_callbacks):
    first, second = OperatorUserFactory(), OperatorUserFactory()
    OperatorUserFactory(is_active=False)
    PatientUserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        sent = notification_send_to_operators(
            kind="operations.alert",
            subject="库存不足",
            body="阿莫西林胶囊库存低于安全线。",
            dedupe_key="stock-low:42",
        )
        again = notification_send_to_operators(
            kind="operations.alert",
            subject="库存不足",
            body="阿莫西林胶囊库存低于安全线。",
            dedupe_key="stock-low:42",
        )

    assert {n.recipient for n in sent} == {first, second}
    assert {n.pk for n in again} == {n.pk for n in sent}
    assert sorted(email.to[0] for email in mail.outbox) == sorted([first.email, second.email])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_and_deliverers_email_once():
    patient = PatientUserFactory()

    def send_and_deliver() -> None:
        notification = send(patient, key="race-event")
        notification_deliver(notification_id=notification.pk)

    outcomes = run_concurrently(send_and_deliver, [()] * 8)

    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert errors == []
    assert Notification.objects.filter(dedupe_key="race-event").count() == 1
    assert len(mail.outbox) == 1


def test_a_delivery_left_sending_by_a_stopped_worker_is_failed_for_an_operator_to_retry(
    django_capture_on_commit_callbacks,
):
    from django.utils import timezone

    from notifications.services import STUCK_SENDING_AFTER, notification_deliveries_stuck_fail

    stopped = send(PatientUserFactory(), key="stuck").deliveries.get()
    working = send(PatientUserFactory(), key="busy").deliveries.get()
    now = timezone.now()
    NotificationDelivery.objects.filter(pk=stopped.pk).update(
        status=NotificationDelivery.Status.SENDING,
        claimed_at=now - STUCK_SENDING_AFTER - timezone.timedelta(minutes=1),
    )
    NotificationDelivery.objects.filter(pk=working.pk).update(
        status=NotificationDelivery.Status.SENDING, claimed_at=now - timezone.timedelta(seconds=20)
    )

    assert notification_deliveries_stuck_fail(now=now) == 1
    assert notification_deliveries_stuck_fail(now=now) == 0

    stopped.refresh_from_db()
    working.refresh_from_db()
    assert stopped.status == NotificationDelivery.Status.FAILED
    assert "not known whether it arrived" in stopped.last_error
    assert working.status == NotificationDelivery.Status.SENDING
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        assert notification_deliveries_retry(delivery_ids=[stopped.pk]) == 1
    stopped.refresh_from_db()
    assert stopped.status == NotificationDelivery.Status.SENT
    assert len(mail.outbox) == 1
