"""The demo a new operator sees: seed_demo builds every app's data once, and what it builds is
as trustworthy as real records (signatures and the access-log chain verify)."""

import io

import pytest
from django.core.management import call_command

from accounts.models import User
from hospital.booking.models import Appointment
from hospital.prescriptions.models import Prescription
from hospital.prescriptions.schedule.models import MedicationSchedule
from pharmacy.models import Product

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_its_records_verify():
    call_command("seed_demo", stdout=io.StringIO())
    counts = (
        User.objects.count(),
        Appointment.objects.count(),
        Prescription.objects.count(),
        Product.objects.count(),
    )
    call_command("seed_demo", stdout=io.StringIO())

    assert counts == (
        User.objects.count(),
        Appointment.objects.count(),
        Prescription.objects.count(),
        Product.objects.count(),
    )
    assert Product.objects.count() >= 200
    assert set(Prescription.objects.values_list("status", flat=True)) >= {
        "draft",
        "pending_review",
        "approved",
        "rejected",
        "expired",
    }
    # The demo patient's delivered order started a medication schedule with today's doses.
    schedule = MedicationSchedule.objects.get(patient__account__email="patient@xinglin.test")
    assert schedule.doses.exists()
    assert MedicationSchedule.objects.count() == 1
    call_command("prescription_verify", stdout=io.StringIO())
    call_command("audit_verify", stdout=io.StringIO())
