"""Prints the alert burden of decision support over every prescription: the share with at least
one major finding, the most frequent rules, and override and intervention rates per rule."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hospital.prescriptions.alert_burden import alert_burden_lines, alert_burden_report
from hospital.prescriptions.decision_support.knowledge import KnowledgeUnavailable


class Command(BaseCommand):
    help = (
        "Run decision support over every prescription and print the share with a major "
        "finding, the most frequent rules and the override rate per rule."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--top", type=int, default=10, help="How many of the most frequent rules to list."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["top"] < 1:
            raise CommandError("--top must be at least 1.")
        try:
            report = alert_burden_report()
        except KnowledgeUnavailable as error:
            raise CommandError(f"Decision support cannot run: {error.message}") from None
        for line in alert_burden_lines(report, top=options["top"]):
            self.stdout.write(line)
