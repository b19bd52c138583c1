"""Upserts the formulary table from hospital/prescriptions/decision_support/data/formulary.csv (or
--file). Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.exceptions import DomainError
from hospital.prescriptions.services.formulary import formulary_load


class Command(BaseCommand):
    help = "Create or update the formulary drugs from the curated CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", help="A formulary CSV other than the configured one.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = formulary_load(path=options.get("file"))
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"formulary: {len(result.created)} created, {len(result.updated)} updated, "
            f"{result.unchanged} unchanged, {len(result.deactivated)} deactivated"
        )
