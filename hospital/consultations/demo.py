"""Demo consultations: a completed visit of the demo patient with the demo doctor (diagnoses,
messages, summary) and an upcoming confirmed appointment with the same doctor.

Idempotent: an existing completed visit or upcoming appointment of that pair is kept. The past
visit is written directly (its times are in the past, which the services rightly refuse).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import PatientProfile
from core.system_text import system_text
from hospital.booking.models import Appointment, Slot
from hospital.consultations.models import Consultation, ConsultationDiagnosis, ConsultationMessage
from hospital.consultations.services.visits import consultation_system_message_add
from hospital.doctors.models import DoctorProfile, DoctorService
from hospital.icd10 import icd10_description

DEMO_DOCTOR_EMAIL = "doctor@xinglin.test"
DEMO_PATIENT_EMAIL = "patient@xinglin.test"

DEMO_MESSAGES = (
    ("patient", "医生您好，我有2型糖尿病和高血压，最近空腹血糖在8左右，血压140/90。"),
    ("doctor", "您好，目前用的是什么药？每天剂量是多少？"),
    ("patient", "二甲双胍每次0.5克，一天两次；氨氯地平每天5毫克。"),
    ("doctor", "血糖控制欠佳，建议饮食控制并加强运动，一个月后复查糖化血红蛋白。"),
)


def _fee(doctor: DoctorProfile, mode: str) -> Decimal:
    service = DoctorService.objects.filter(doctor=doctor, mode=mode).first()
    return service.fee if service else Decimal("0.00")


def _completed_visit(doctor: DoctorProfile, patient: PatientProfile) -> bool:
    if Consultation.objects.filter(
        patient=patient, doctor=doctor, status=Consultation.Status.CLOSED
    ).exists():
        return False
    starts = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    starts -= dt.timedelta(days=7)
    slot, _created = Slot.objects.get_or_create(
        doctor=doctor,
        mode="text",
        starts_at=starts,
        defaults={"ends_at": starts + dt.timedelta(minutes=30), "capacity": 5},
    )
    Slot.objects.filter(pk=slot.pk, booked_count__lt=F("capacity")).update(
        booked_count=F("booked_count") + 1
    )
    appointment = Appointment.objects.create(
        patient=patient,
        booked_by=patient.account,
        doctor=doctor,
        slot=slot,
        mode="text",
        visit_type=Appointment.VisitType.FOLLOW_UP,
        chief_complaint="糖尿病、高血压复诊，调整用药",
        status=Appointment.Status.COMPLETED,
        fee=_fee(doctor, "text"),
        confirmed_at=starts - dt.timedelta(days=1),
    )
    consultation = Consultation.objects.create(
        patient=patient,
        doctor=doctor,
        appointment=appointment,
        department=doctor.department,
        kind=Consultation.Kind.APPOINTMENT,
        mode="text",
        status=Consultation.Status.CLOSED,
        chief_complaint=appointment.chief_complaint,
        opened_at=starts,
        closed_at=starts + dt.timedelta(minutes=25),
        qualifies_as_follow_up=True,
        follow_up_note="2019年线下确诊2型糖尿病、原发性高血压。",
        notes="空腹血糖约8 mmol/L，血压140/90 mmHg。",
        advice="低盐低糖饮食，每天步行30分钟，按时服药，监测血糖血压。",
        follow_up_on=timezone.localdate() + dt.timedelta(days=23),
        summary="2型糖尿病、高血压复诊：血糖控制欠佳，继续二甲双胍与氨氯地平，一个月后复查。",
        outcome=Consultation.Outcome.COMPLETED,
    )
    for code, primary in (("E11.9", True), ("I10", False)):
        ConsultationDiagnosis.objects.create(
            consultation=consultation,
            code=code,
            description=icd10_description(code),
            is_primary=primary,
            recorded_by=doctor.user,
        )
    consultation_system_message_add(
        consultation, system_text(gettext_noop("The consultation has started."))
    )
    for role, text in DEMO_MESSAGES:
        ConsultationMessage.objects.create(
            consultation=consultation,
            sender=doctor.user if role == "doctor" else patient.account,
            kind=ConsultationMessage.Kind.TEXT,
            body=text,
        )
    consultation_system_message_add(
        consultation,
        system_text(gettext_noop("The consultation has ended. The visit summary is ready.")),
    )
    return True


def _upcoming_appointment(doctor: DoctorProfile, patient: PatientProfile) -> bool | None:
    now = timezone.now()
    if Appointment.objects.filter(
        patient=patient,
        doctor=doctor,
        status=Appointment.Status.CONFIRMED,
        slot__starts_at__gt=now,
    ).exists():
        return False
    slot = (
        Slot.objects.filter(
            doctor=doctor,
            starts_at__gt=now + dt.timedelta(hours=2),
            is_closed=False,
            booked_count__lt=F("capacity"),
        )
        .order_by("starts_at", "mode")
        .first()
    )
    if slot is None:
        return None
    Slot.objects.filter(pk=slot.pk).update(booked_count=F("booked_count") + 1)
    Appointment.objects.create(
        patient=patient,
        booked_by=patient.account,
        doctor=doctor,
        slot=slot,
        mode=slot.mode,
        visit_type=Appointment.VisitType.FOLLOW_UP,
        chief_complaint="糖尿病复诊，复查糖化血红蛋白结果",
        status=Appointment.Status.CONFIRMED,
        fee=_fee(doctor, slot.mode),
        confirmed_at=now,
    )
    return True


@transaction.atomic
def seed_consultation_demo(*, stdout: Any) -> None:
    doctor = DoctorProfile.objects.filter(user__email=DEMO_DOCTOR_EMAIL).first()
    patient = PatientProfile.objects.filter(
        account__email=DEMO_PATIENT_EMAIL, relationship=PatientProfile.Relationship.SELF
    ).first()
    if doctor is None or patient is None:
        stdout.write("  skipped demo consultations: demo doctor or patient missing")
        return
    created = _completed_visit(doctor, patient)
    stdout.write(f"  {'created' if created else 'kept'} a completed demo consultation")
    upcoming = _upcoming_appointment(doctor, patient)
    if upcoming is None:
        stdout.write("  no free slot for the demo upcoming appointment")
    else:
        stdout.write(f"  {'created' if upcoming else 'kept'} an upcoming demo appointment")
