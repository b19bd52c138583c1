"""Factories for the health record and the consultations that open it to a doctor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from hospital.consultations.models import Consultation
from hospital.records.models import (
    Allergy,
    Condition,
    MedicalDocument,
    Medication,
    Reading,
    RecordSource,
)
from tests.accounts.factories import PatientProfileFactory
from tests.hospital.factories import PDF_BYTES, DoctorFactory

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


class ConsultationFactory(factory.django.DjangoModelFactory):
    """A quick consult the doctor has claimed and opened."""

    class Meta:
        model = Consultation

    patient = factory.SubFactory(PatientProfileFactory)
    doctor = factory.SubFactory(DoctorFactory)
    department = factory.LazyAttribute(lambda o: o.doctor.department)
    kind = Consultation.Kind.QUICK
    mode = "text"
    status = Consultation.Status.OPEN
    chief_complaint = "血糖控制复诊"
    opened_at = factory.LazyFunction(timezone.now)

    class Params:
        closed_days_ago = factory.Trait(
            status=Consultation.Status.CLOSED,
            closed_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3)),
        )


class AllergyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Allergy

    patient = factory.SubFactory(PatientProfileFactory)
    substance = "青霉素"
    category = Allergy.Category.DRUG
    drug_class = Allergy.DrugClass.PENICILLINS
    reaction = "皮疹"
    severity = Allergy.Severity.SEVERE
    source = RecordSource.SELF_REPORTED
    recorded_by = factory.LazyAttribute(lambda o: o.patient.account)


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Condition

    patient = factory.SubFactory(PatientProfileFactory)
    icd10_code = "E11.9"
    description = "Type 2 diabetes mellitus without complications"
    verification_status = Condition.Verification.CONFIRMED
    is_chronic = True
    source = RecordSource.CLINICIAN
    recorded_by = factory.LazyAttribute(lambda o: o.patient.account)


class MedicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Medication

    patient = factory.SubFactory(PatientProfileFactory)
    name = "二甲双胍缓释片"
    dose_text = "0.5 g 每日两次"
    start_date = dt.date(2024, 3, 1)
    source = Medication.Source.SELF_REPORTED
    atc_code = "A10BA02"
    ingredients = factory.LazyFunction(lambda: ["metformin"])
    recorded_by = factory.LazyAttribute(lambda o: o.patient.account)


class ReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reading

    patient = factory.SubFactory(PatientProfileFactory)
    kind = Reading.Kind.GLUCOSE_FASTING
    value = Decimal("6.1")
    unit = factory.LazyAttribute(lambda o: Reading.UNITS[o.kind])
    measured_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    source = RecordSource.SELF_REPORTED
    recorded_by = factory.LazyAttribute(lambda o: o.patient.account)


class MedicalDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicalDocument

    patient = factory.SubFactory(PatientProfileFactory)
    kind = MedicalDocument.Kind.OUTPATIENT_RECORD
    hospital_name = "北京协和医院"
    document_date = dt.date(2024, 1, 15)
    diagnosis_codes = factory.LazyFunction(lambda: ["E11.9"])
    file = factory.django.FileField(data=PDF_BYTES, filename="record.pdf")
    content_type = "application/pdf"
    size = len(PDF_BYTES)
    sha256 = "0" * 64
    source = RecordSource.SELF_REPORTED
    recorded_by = factory.LazyAttribute(lambda o: o.patient.account)
