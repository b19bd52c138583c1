"""Factories for consultations: a confirmed appointment due now, open and waiting consults."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from allauth.mfa.models import Authenticator
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.test import APIClient

from hospital.booking.models import Appointment
from hospital.consultations.models import Consultation
from hospital.records.models import MedicalDocument
from tests.accounts.factories import PatientProfileFactory, activate_totp
from tests.hospital.factories import PDF_BYTES, DoctorFactory, SlotFactory


def _now_slot_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=5)


class DueSlotFactory(SlotFactory):
    """A slot that started five minutes ago: its consultation may be opened now."""

    starts_at = factory.LazyFunction(_now_slot_start)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=15))
    booked_count = 1


class ConfirmedAppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientProfileFactory)
    booked_by = factory.SelfAttribute("patient.account")
    doctor = factory.SubFactory(DoctorFactory)
    slot = factory.SubFactory(DueSlotFactory, doctor=factory.SelfAttribute("..doctor"))
    mode = factory.SelfAttribute("slot.mode")
    visit_type = Appointment.VisitType.FOLLOW_UP
    chief_complaint = "高血压复诊，需要调整用药"
    status = Appointment.Status.CONFIRMED
    fee = Decimal("80.00")
    confirmed_at = factory.LazyFunction(timezone.now)


class OpenConsultationFactory(factory.django.DjangoModelFactory):
    """A booked consultation under way (its appointment in consultation)."""

    class Meta:
        model = Consultation

    appointment = factory.SubFactory(
        ConfirmedAppointmentFactory, status=Appointment.Status.IN_CONSULTATION
    )
    patient = factory.SelfAttribute("appointment.patient")
    doctor = factory.SelfAttribute("appointment.doctor")
    department = factory.SelfAttribute("doctor.department")
    kind = Consultation.Kind.APPOINTMENT
    mode = factory.SelfAttribute("appointment.mode")
    status = Consultation.Status.OPEN
    chief_complaint = "高血压复诊，需要调整用药"
    opened_at = factory.LazyFunction(timezone.now)


class QuickConsultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consultation

    patient = factory.SubFactory(PatientProfileFactory)
    doctor = None
    appointment = None
    department = factory.SubFactory("tests.hospital.factories.DepartmentFactory")
    kind = Consultation.Kind.QUICK
    mode = "text"
    status = Consultation.Status.WAITING
    chief_complaint = "孩子发烧两天，38.5度，需要去医院吗？"


class MedicalDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicalDocument

    patient = factory.SubFactory(PatientProfileFactory)
    kind = MedicalDocument.Kind.OUTPATIENT_RECORD
    hospital_name = "北京协和医院"
    document_date = dt.date(2024, 3, 1)
    diagnosis_codes = factory.LazyFunction(lambda: ["I10"])
    file = factory.LazyFunction(lambda: ContentFile(PDF_BYTES, name="record.pdf"))
    content_type = "application/pdf"
    size = len(PDF_BYTES)
    sha256 = "0" * 64
    source = "self_reported"
    recorded_by = factory.SelfAttribute("patient.account")


def api_client_for(user) -> APIClient:
    """An API client signed in as `user`; clinical users get TOTP, as the site requires."""
    if user.is_clinical_or_staff and not Authenticator.objects.filter(user=user).exists():
        activate_totp(user)
    client = APIClient()
    client.force_authenticate(user)
    return client
