"""Publishes the outbox rows not yet sent, e.g. after the broker was down with beat stopped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand

from core.outbox import outbox_relay


class Command(BaseCommand):
    help = "Publish the outbox rows not yet sent to the Celery broker."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = batch = outbox_relay(min_age=timedelta(0))
        while batch:
            batch = outbox_relay(min_age=timedelta(0))
            sent += batch
        self.stdout.write(f"{sent} outbox message(s) sent")
