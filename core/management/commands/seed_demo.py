"""Creates the demo data: each of our apps contributes through its own `demo.py`.

Apps are seeded in INSTALLED_APPS order (from the general to the specific), so a later app can
rely on what an earlier one created. Every app's seeding is idempotent: running this twice
creates nothing twice.
"""

from __future__ import annotations

import importlib
import importlib.util

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

OUR_APPS = (
    "core",
    "accounts",
    "audit",
    "notifications",
    "payments",
    "insurance",
    "hospital",
    "pharmacy",
)


class Command(BaseCommand):
    help = "Create (or bring up to date) the demo accounts and data. Safe to run repeatedly."

    def handle(self, *args: object, **options: object) -> None:
        for config in apps.get_app_configs():
            if config.name not in OUR_APPS:
                continue
            module_name = f"{config.name}.demo"
            if importlib.util.find_spec(module_name) is None:
                continue
            module = importlib.import_module(module_name)
            with transaction.atomic():
                module.seed_demo_data(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
