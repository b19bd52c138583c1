"""Races in 会诊 and referrals, on PostgreSQL with real threads."""

import datetime as dt

import pytest
from django.utils import timezone

from core.exceptions import Conflict
from hospital.booking.models import Appointment
from hospital.consultations.models import (
    MdtConsultation,
    MdtInvitation,
    PartnerDepartment,
    PartnerHospital,
    Referral,
)
from hospital.consultations.services import mdt as mdt_services
from hospital.consultations.services import referrals as referral_services
from tests.concurrency import run_concurrently
from tests.hospital.factories import DoctorFactory, SlotFactory
from tests.hospital.prescription_factories import PrescribingConsultationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_an_opinion_racing_the_close_lands_before_it_or_is_refused():
    consultation = PrescribingConsultationFactory()
    specialists = [DoctorFactory() for _ in range(4)]
    mdt = mdt_services.mdt_invite(
        doctor_user=consultation.doctor.user,
        consultation_id=consultation.pk,
        doctor_ids=[d.pk for d in specialists],
        question="是否需要加用胰岛素？",
    )
    for doctor in specialists:
        mdt_services.mdt_accept(doctor_user=doctor.user, mdt_id=mdt.pk)

    def act(user, kind):
        if kind == "close":
            return mdt_services.mdt_close(doctor_user=user, mdt_id=mdt.pk, conclusion="结论")
        return mdt_services.mdt_opinion(doctor_user=user, mdt_id=mdt.pk, opinion="建议加用")

    outcomes = run_concurrently(
        act,
        [(consultation.doctor.user, "close")] + [(d.user, "opinion") for d in specialists],
    )
    closed = MdtConsultation.objects.get(pk=mdt.pk)
    assert closed.status == MdtConsultation.Status.CLOSED
    refused = [o for o in outcomes[1:] if isinstance(o, Conflict)]
    answered = MdtInvitation.objects.filter(mdt=mdt, status="answered")
    assert len(refused) + answered.count() == len(specialists), outcomes
    # Every opinion that landed was written before the 会诊 closed.
    assert all(i.answered_at <= closed.closed_at for i in answered)


def test_booking_one_referral_twice_at_once_books_one_visit():
    consultation = PrescribingConsultationFactory()
    clinic_doctor = DoctorFactory()
    hospital = PartnerHospital.objects.create(
        name="杭州市第一人民医院", level="tertiary", city="杭州", address="浣纱路261号"
    )
    department = PartnerDepartment.objects.create(
        hospital=hospital, name="呼吸与危重症医学科", clinic_doctor=clinic_doctor
    )
    referral = referral_services.referral_create(
        doctor_user=consultation.doctor.user,
        consultation_id=consultation.pk,
        partner_department_id=department.pk,
        reason="慢性咳嗽两个月，需肺功能检查",
    )
    start = timezone.now() + dt.timedelta(days=2)
    slots = [
        SlotFactory(
            doctor=clinic_doctor,
            mode="video",
            starts_at=start + dt.timedelta(minutes=15 * n),
            ends_at=start + dt.timedelta(minutes=15 * (n + 1)),
        )
        for n in range(5)
    ]
    account = consultation.patient.account
    outcomes = run_concurrently(
        lambda slot: referral_services.referral_book(
            account=account, referral_id=referral.pk, slot_id=slot.pk
        ),
        [(slot,) for slot in slots],
    )
    booked = [o for o in outcomes if isinstance(o, Referral)]
    assert len(booked) == 1, outcomes
    assert all(isinstance(o, Conflict) for o in outcomes if o not in booked), outcomes
    assert Appointment.objects.filter(doctor=clinic_doctor).count() == 1
    referral.refresh_from_db()
    assert referral.status == Referral.Status.BOOKED
