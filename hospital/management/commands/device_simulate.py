"""Pairs a simulated meter to a patient profile (as its account would) and sends a week of
readings through the device service. Running it again resends the same readings: nothing
doubles."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import PatientProfile
from core.exceptions import DomainError
from hospital.records.device_simulator import device_simulate_week
from hospital.records.models import Device
from hospital.records.services.devices import device_pair, device_pairing_code_create

SIMULATED_NAME = "演示血糖血压仪"


class Command(BaseCommand):
    help = "Send a realistic week of glucose and blood-pressure readings from a simulated device."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patient", type=int, required=True, help="patient profile id")
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        patient = PatientProfile.objects.select_related("account").filter(pk=options["patient"])
        profile = patient.first()
        if profile is None:
            raise CommandError("No such patient profile.")
        if not 1 <= options["days"] <= 60:
            raise CommandError("--days is between 1 and 60.")
        device = Device.objects.filter(
            patient=profile, name=SIMULATED_NAME, revoked_at__isnull=True
        ).first()
        try:
            if device is None:
                _pairing, code = device_pairing_code_create(
                    actor=profile.account, patient_id=profile.pk
                )
                device, _token = device_pair(code=code, name=SIMULATED_NAME, serial_number="SIM-1")
            new, repeated = device_simulate_week(device=device, days=options["days"])
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"{device.name}: {new} readings sent, {repeated} already on the record")
