"""A real Celery worker process consumes what the application enqueues.

The Redis test runs the worker against the same PostgreSQL test database as this process and
waits for the effect of a real task there; the filesystem test proves the embedded no-server
default works, so it runs everywhere.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from notifications.models import NotificationDelivery
from notifications.services import notification_send
from tests.accounts.factories import PatientUserFactory

CELERY = Path(sys.executable).with_name("celery")
# A guard against a hang, not a speed target: a worker starting on a busy 2-core machine can
# take more than a minute before its first task.
WAIT_SECONDS = 180


def worker_env(**overrides: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    env["CELERY_TASK_ALWAYS_EAGER"] = "false"
    env.update(overrides)
    return env


def start_worker(env: dict[str, str], queue: str, log_path: Path) -> subprocess.Popen:
    log = log_path.open("wb")
    return subprocess.Popen(  # noqa: S603 - our own venv's celery, fixed arguments
        [
            str(CELERY),
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            f"--queues={queue}",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)


def wait_for(condition: Callable[[], bool], worker: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.poll() is not None:
            pytest.fail(f"the worker exited early:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.25)
    pytest.fail(f"no effect within {WAIT_SECONDS} s; worker log:\n{log_path.read_text()[-4000:]}")


def worker_database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


@pytest.fixture
def isolated_queue() -> Iterator[str]:
    """This test's own queue, and tasks published for real (not run in this process)."""
    queue = f"integration-{uuid.uuid4().hex}"
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = saved


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_delivers_a_notification_email(isolated_queue, tmp_path):
    log_path = tmp_path / "worker.log"
    worker = start_worker(
        worker_env(DATABASE_URL=worker_database_url(), REDIS_URL=settings.REDIS_URL),
        isolated_queue,
        log_path,
    )
    try:
        patient = PatientUserFactory()
        # Committed at once (no test transaction), so the task is published after commit.
        notification = notification_send(
            recipient=patient,
            kind="general",
            subject="复诊提醒",
            body="明天上午 9:00 复诊。",
            dedupe_key=f"integration:{isolated_queue}",
        )
        delivery = NotificationDelivery.objects.get(notification=notification)

        def delivered() -> bool:
            delivery.refresh_from_db()
            return delivery.status == NotificationDelivery.Status.SENT

        wait_for(delivered, worker, log_path)
    finally:
        stop_worker(worker)

    assert delivery.attempts == 1
    assert delivery.sent_at is not None


def test_a_worker_on_the_filesystem_broker_runs_a_task(tmp_path):
    var_dir = tmp_path / "var"
    folder = var_dir / "broker" / "out"
    log_path = tmp_path / "worker.log"
    queue = f"integration-{uuid.uuid4().hex}"
    worker = start_worker(
        worker_env(
            XINGLIN_VAR_DIR=str(var_dir),
            REDIS_URL="",
            DATABASE_URL=f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        ),
        queue,
        log_path,
    )
    producer = Celery(
        "producer",
        broker="filesystem://",
        broker_transport_options={
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "processed_folder": str(var_dir / "broker" / "processed"),
            "control_folder": str(var_dir / "broker" / "control"),
            "store_processed": False,
        },
    )
    token = uuid.uuid4().hex
    try:
        folder.mkdir(parents=True, exist_ok=True)
        producer.send_task("core.tasks.ping", args=[token], queue=queue)

        def answered() -> bool:
            log = log_path.read_text(errors="replace")
            return "core.tasks.ping" in log and "succeeded" in log and token in log

        wait_for(answered, worker, log_path)
    finally:
        stop_worker(worker)

    assert not any(folder.iterdir()), "the message was consumed"
