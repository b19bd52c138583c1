"""Factories for the pharmacist's side: signed prescriptions in each state, their items and
findings, renewal requests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from hospital.prescriptions.models import (
    FormularyDrug,
    Prescription,
    PrescriptionFinding,
    PrescriptionItem,
    RenewalRequest,
)
from tests.hospital.consultation_factories import OpenConsultationFactory


class DrugFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FormularyDrug
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test-drug-{n}")
    generic_name_zh = factory.Sequence(lambda n: f"测试药{n}")
    generic_name_en = factory.Sequence(lambda n: f"Test drug {n}")
    ingredients = factory.Sequence(lambda n: f"testium{n}")
    atc_code = "C09AA02"
    strength = "10 mg"
    dosage_form = "tablet"
    route = "oral"
    dose_unit = "mg"
    pack_size = 28
    pack_unit = "tablets"
    rx_class = FormularyDrug.RxClass.RX
    long_term_allowed = True


def _today() -> dt.date:
    return timezone.localdate()


class PrescriptionFactory(factory.django.DjangoModelFactory):
    """A signed prescription waiting for review, written in an open consultation."""

    class Meta:
        model = Prescription
        skip_postgeneration_save = True

    consultation = factory.SubFactory(OpenConsultationFactory)
    patient = factory.SelfAttribute("consultation.patient")
    doctor = factory.SelfAttribute("consultation.doctor")
    status = Prescription.Status.PENDING_REVIEW
    diagnosis_codes = factory.LazyFunction(lambda: ["I10"])
    supply_days = 28
    long_term_reason = "稳定期高血压"
    issued_on = factory.LazyFunction(_today)
    valid_until = factory.LazyAttribute(lambda o: o.issued_on + dt.timedelta(days=2))
    signed_at = factory.LazyFunction(timezone.now)
    signature = "ab" * 32
    knowledge_version = "test"
    submitted_at = factory.LazyFunction(timezone.now)

    item = factory.RelatedFactory(
        "tests.hospital.review_factories.PrescriptionItemFactory",
        factory_related_name="prescription",
    )


class ApprovedPrescriptionFactory(PrescriptionFactory):
    status = Prescription.Status.APPROVED
    reviewed_at = factory.LazyFunction(timezone.now)
    reviewed_by = factory.SubFactory("tests.accounts.factories.PharmacistUserFactory")


class PrescriptionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PrescriptionItem

    prescription = factory.SubFactory(PrescriptionFactory, item=None)
    drug = factory.SubFactory(DrugFactory)
    dose = Decimal("10")
    dose_unit = "mg"
    route = "oral"
    frequency = "QD"
    duration_days = 28
    quantity_packs = 1
    instructions = "每日一次，早餐后"


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PrescriptionFinding

    prescription = factory.SubFactory(PrescriptionFactory)
    kind = "interaction"
    severity = "major"
    drug_codes = factory.LazyFunction(lambda: ["amlodipine-5mg-tab", "simvastatin-20mg-tab"])
    message = "Simvastatin exposure rises with amlodipine: keep simvastatin at 20 mg or less."
    message_zh = "氨氯地平升高辛伐他汀暴露：辛伐他汀不超过20 mg。"
    management = "Limit simvastatin to 20 mg daily."
    source = "FDA label"
    rule_id = "ddi:amlodipine+simvastatin"
    override_reason = "已限制辛伐他汀剂量为20 mg"


class RenewalRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RenewalRequest

    prescription = factory.SubFactory(ApprovedPrescriptionFactory)
    patient = factory.SelfAttribute("prescription.patient")
    requested_by = factory.SelfAttribute("patient.account")
    status = RenewalRequest.Status.PENDING
