"""The outbox keeps work for the worker in the database until the broker has taken it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from core.models import OutboxMessage
from core.outbox import outbox_enqueue, outbox_relay
from core.tasks import ping
from tests.accounts.factories import UserFactory, activate_totp
from tests.faults.servers import free_port, restore_broker, saved_broker, use_broker

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down():
    """Publishing goes for real to a port where nothing listens."""
    saved = saved_broker()
    use_broker(f"redis://127.0.0.1:{free_port()}/0", queue=f"outbox-{uuid.uuid4().hex}")
    yield
    restore_broker(saved)


def test_a_row_is_written_with_the_change_and_sent_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        message = outbox_enqueue(ping, token="t1")
        assert OutboxMessage.objects.get(pk=message.pk).sent_at is None
    message.refresh_from_db()
    assert len(callbacks) == 1
    assert message.task_name == "core.tasks.ping"
    assert message.kwargs == {"token": "t1"}
    assert message.sent_at is not None
    assert message.attempts == 1


def test_a_rolled_back_change_leaves_no_work(django_capture_on_commit_callbacks):
    def failing_change() -> None:
        with transaction.atomic():
            outbox_enqueue(ping, token="t1")
            raise RuntimeError("the change failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        failing_change()
    assert callbacks == []
    assert not OutboxMessage.objects.exists()


def test_a_broker_down_at_commit_keeps_the_row_for_the_next_relay(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_enqueue(ping, token="t2")
    message.refresh_from_db()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error.startswith("OperationalError")
    assert outbox_relay(min_age=dt.timedelta(0)) == 0  # still down: nothing sent, nothing lost

    restore_broker((None, True, "celery"))  # the broker is back (tasks run here, eagerly)
    assert outbox_relay(min_age=dt.timedelta(0)) == 1
    message.refresh_from_db()
    assert message.sent_at is not None
    assert message.attempts == 3
    assert outbox_relay(min_age=dt.timedelta(0)) == 0  # sent once only


def test_the_periodic_relay_leaves_young_rows_to_the_relay_after_commit(broker_down):
    outbox_enqueue(ping, token="t3")
    restore_broker((None, True, "celery"))
    assert outbox_relay() == 0
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 1


def test_the_command_sends_every_unsent_row(broker_down, capsys):
    for token in ("a", "b"):
        outbox_enqueue(ping, token=token)
    restore_broker((None, True, "celery"))
    call_command("outbox_relay")
    assert "2 outbox message(s) sent" in capsys.readouterr().out
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_operators_list_unsent_rows_and_send_them_again(broker_down, client):
    waiting = outbox_enqueue(ping, token="w")
    operator = UserFactory(is_staff=True, is_superuser=True)
    activate_totp(operator)
    client.force_login(operator)
    page = client.get("/admin/core/outboxmessage/", {"sent_at__isempty": "1"})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1

    restore_broker((None, True, "celery"))
    client.post(
        "/admin/core/outboxmessage/",
        {"action": "relay_selected", "_selected_action": [waiting.pk]},
    )
    waiting.refresh_from_db()
    assert waiting.sent_at is not None
    assert (
        client.get("/admin/core/outboxmessage/", {"sent_at__isempty": "1"})
        .context["cl"]
        .result_count
        == 0
    )


def test_a_session_saved_while_the_broker_is_down_gets_its_slots_when_it_is_back(
    broker_down, django_capture_on_commit_callbacks
):
    from hospital.booking.models import Slot
    from hospital.booking.services.schedules import availability_add
    from tests.hospital.factories import DoctorFactory

    doctor = DoctorFactory()
    with django_capture_on_commit_callbacks(execute=True):
        availability_add(
            doctor=doctor,
            mode="text",
            weekday=timezone.localdate().weekday(),
            start_time=dt.time(9, 0),
            end_time=dt.time(10, 0),
        )
    waiting = OutboxMessage.objects.get(task_name="hospital.tasks.generate_slots")
    assert waiting.kwargs == {"doctor_id": doctor.pk}
    assert waiting.sent_at is None
    assert not Slot.objects.filter(doctor=doctor).exists()

    restore_broker((None, True, "celery"))
    assert outbox_relay(min_age=dt.timedelta(0)) == 1
    assert Slot.objects.filter(doctor=doctor, mode="text").count() >= 4
