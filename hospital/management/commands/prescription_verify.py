"""Checks that signed prescriptions still match their signatures; exits non-zero on any that
does not (for a cron job or an auditor)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hospital.prescriptions.models import Prescription
from hospital.prescriptions.signature import prescription_signature_check


class Command(BaseCommand):
    help = "Verify the signatures of signed prescriptions (all, or one with --id)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--id", type=int, help="Verify only this prescription.")

    def handle(self, *args: Any, **options: Any) -> None:
        prescriptions = Prescription.objects.exclude(signature="").order_by("pk")
        if options.get("id"):
            prescriptions = Prescription.objects.filter(pk=options["id"])
            if not prescriptions.exists():
                raise CommandError(f"No prescription #{options['id']}.")
        checked = 0
        tampered: list[int] = []
        for prescription in prescriptions.iterator(chunk_size=500):
            result = prescription_signature_check(prescription)
            checked += 1
            if not result.valid:
                tampered.append(prescription.pk)
                self.stderr.write(
                    f"prescription #{prescription.pk}: "
                    + ("signature does not match" if result.signed else "not signed")
                )
        if tampered:
            raise CommandError(
                f"{len(tampered)} of {checked} prescription(s) failed verification: "
                + ", ".join(f"#{pk}" for pk in tampered)
            )
        self.stdout.write(f"{checked} prescription(s) verified")
