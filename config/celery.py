"""The Celery application: broker and schedules come from Django settings (CELERY_*).

Production uses Redis (REDIS_URL); the embedded default is kombu's filesystem broker, which
needs its folders to exist before anyone publishes or consumes.
"""

import os
from pathlib import Path
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("xinglin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_FOLDER_OPTIONS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
_prepared_folders: set[str] = set()


def ensure_broker_folders() -> None:
    """The filesystem broker fails on missing folders; create them before any worker starts."""
    if not str(app.conf.broker_url).startswith("filesystem://"):
        return
    options = app.conf.broker_transport_options or {}
    for key in _FOLDER_OPTIONS:
        folder = options.get(key)
        if folder and str(folder) not in _prepared_folders:
            Path(str(folder)).mkdir(parents=True, exist_ok=True)
            _prepared_folders.add(str(folder))


@signals.worker_init.connect
@signals.beat_init.connect
@signals.before_task_publish.connect
def _prepare_filesystem_broker(**kwargs: Any) -> None:
    ensure_broker_folders()


@signals.worker_init.connect
@signals.beat_init.connect
def _require_secret_key(**kwargs: Any) -> None:
    # Tasks write the access-log chain and sign notifications' links: never with a made-up key.
    # Celery logs and swallows exceptions from signal handlers, so stop the process instead.
    from django.core.exceptions import ImproperlyConfigured

    from core.secret_key import secret_key_require

    try:
        secret_key_require("running Celery")
    except ImproperlyConfigured as refusal:
        raise SystemExit(f"{type(refusal).__name__}: {refusal}") from refusal


# Set by `manage.py run_demo` for its beat: the file tells the supervisor that beat has built
# its schedule (see the command for why it waits for it).
BEAT_READY_FILE_VARIABLE = "XINGLIN_BEAT_READY_FILE"


@signals.beat_init.connect
def _announce_beat_ready(**kwargs: Any) -> None:
    ready_file = os.environ.get(BEAT_READY_FILE_VARIABLE)
    if ready_file:
        Path(ready_file).touch()
