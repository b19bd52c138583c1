"""Beat sends the periodic scans by task name: a renamed or removed task would be sent to no one
and the scan would silently stop."""

from __future__ import annotations

from django.conf import settings

from config.celery import app


def test_every_scheduled_task_is_a_registered_task():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)
