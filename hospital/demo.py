"""Demo departments, doctors with verified credentials, weekly sessions and next week's slots.

Idempotent: everything is looked up by a natural key first. Runs after accounts' demo data, so
the demo doctor (doctor@xinglin.test) already exists.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.utils import timezone

import hospital.tasks  # noqa: F401  (every domain's notice kinds, which the demo chooses among)
from accounts.demo import DEMO_DOCTOR_NAME
from accounts.models import User
from accounts.roles import Role
from accounts.services import user_assign_role
from hospital.booking.models import WeeklyAvailability
from hospital.booking.services.schedules import slots_generate
from hospital.consultations.demo import seed_consultation_demo
from hospital.consultations.demo_care_team import seed_care_team_demo
from hospital.doctors.demo import seed_tier_demo
from hospital.doctors.models import Credential, Department, DoctorProfile, DoctorService
from hospital.housecalls.demo import seed_house_call_demo
from hospital.prescriptions.demo import seed_prescription_demo
from hospital.prescriptions.demo_review import seed_review_demo
from hospital.records.demo import seed_record_demo, seed_reminder_demo

DEMO_DOCTOR_EMAIL = "doctor@xinglin.test"
DEMO_PASSWORD = "Xinglin-demo-2026"  # noqa: S105  (demo only, published in the README)

DEPARTMENTS = (
    ("general", "全科", "General practice"),
    ("cardiology", "心血管内科", "Cardiology"),
    ("respiratory", "呼吸内科", "Respiratory medicine"),
    ("gastroenterology", "消化内科", "Gastroenterology"),
    ("endocrinology", "内分泌科", "Endocrinology"),
    ("neurology", "神经内科", "Neurology"),
    ("dermatology", "皮肤科", "Dermatology"),
    ("pediatrics", "儿科", "Pediatrics"),
    ("gynecology", "妇科", "Gynecology"),
    ("orthopedics", "骨科", "Orthopedics"),
    ("ent", "耳鼻喉科", "Otolaryngology (ENT)"),
    ("ophthalmology", "眼科", "Ophthalmology"),
    ("psychology", "心理科", "Psychology"),
)

T = DoctorProfile.Title
R = DoctorProfile.Tier
# email, name, department, title, tier, years, specialties, fees (text, video, phone)
DOCTORS = (
    (
        DEMO_DOCTOR_EMAIL,
        DEMO_DOCTOR_NAME,
        "cardiology",
        T.ATTENDING,
        R.FULL_TIME,
        12,
        "高血压、冠心病随访",
        ("30", "80", "60"),
    ),
    (
        "doctor2@xinglin.test",
        "王芳",
        "endocrinology",
        T.CHIEF,
        R.EXPERT,
        25,
        "糖尿病、甲状腺疾病",
        ("60", "200", "150"),
    ),
    (
        "doctor3@xinglin.test",
        "陈静",
        "respiratory",
        T.ASSOCIATE_CHIEF,
        R.CONTRACTED,
        18,
        "哮喘、慢阻肺",
        ("40", "120", "90"),
    ),
    (
        "doctor4@xinglin.test",
        "刘洋",
        "gastroenterology",
        T.ATTENDING,
        R.FULL_TIME,
        9,
        "胃炎、反流性食管炎",
        ("30", "80", "60"),
    ),
    (
        "doctor5@xinglin.test",
        "赵磊",
        "neurology",
        T.ASSOCIATE_CHIEF,
        R.CONTRACTED,
        16,
        "头痛、失眠、眩晕",
        ("40", "120", None),
    ),
    (
        "doctor6@xinglin.test",
        "孙丽",
        "dermatology",
        T.ATTENDING,
        R.FULL_TIME,
        8,
        "湿疹、痤疮",
        ("25", None, None),
    ),
    (
        "doctor7@xinglin.test",
        "周婷",
        "pediatrics",
        T.ATTENDING,
        R.FULL_TIME,
        10,
        "儿童呼吸道感染、生长发育",
        ("30", "80", "60"),
    ),
    (
        "doctor8@xinglin.test",
        "吴敏",
        "gynecology",
        T.ASSOCIATE_CHIEF,
        R.CONTRACTED,
        20,
        "月经不调、更年期",
        ("40", "120", "90"),
    ),
    (
        "doctor9@xinglin.test",
        "郑强",
        "orthopedics",
        T.CHIEF,
        R.EXPERT,
        28,
        "颈腰椎病、关节炎",
        ("60", "200", None),
    ),
    (
        "doctor10@xinglin.test",
        "冯雪",
        "ent",
        T.RESIDENT,
        R.FULL_TIME,
        4,
        "鼻炎、咽炎",
        ("20", None, "40"),
    ),
    (
        "doctor11@xinglin.test",
        "何平",
        "ophthalmology",
        T.ATTENDING,
        R.FULL_TIME,
        11,
        "干眼症、视疲劳",
        ("30", "80", None),
    ),
    (
        "doctor12@xinglin.test",
        "林晓",
        "psychology",
        T.ATTENDING,
        R.CONTRACTED,
        7,
        "焦虑、抑郁、睡眠问题",
        ("50", "150", "100"),
    ),
    (
        "doctor13@xinglin.test",
        "高远",
        "general",
        T.ATTENDING,
        R.FULL_TIME,
        6,
        "常见病、慢病管理",
        ("20", "60", "40"),
    ),
)
# This doctor's title certificate waits in the operators' verification queue.
PENDING_DOCTOR_EMAIL = "doctor13@xinglin.test"

PDF_SCAN = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _account(email: str, name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, display_name=name)
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
    user_assign_role(user=user, role=Role.DOCTOR)
    return user


def _credentials(doctor: DoctorProfile, index: int, *, pending_title: bool) -> None:
    today = timezone.localdate()
    for kind in Credential.Kind:
        if doctor.credentials.filter(kind=kind).exists():
            continue
        pending = pending_title and kind == Credential.Kind.TITLE
        credential = Credential(
            doctor=doctor,
            kind=kind,
            number=f"DEMO{index:03d}{kind[:2].upper()}",
            authority="国家卫生健康委员会"
            if kind != Credential.Kind.PRACTICE
            else "北京市卫生健康委员会",
            issued_on=dt.date(today.year - doctor.years_of_practice, 7, 1),
            expires_on=None
            if kind == Credential.Kind.QUALIFICATION
            else today + dt.timedelta(days=365 * 3),
            practice_scope="内科专业" if kind == Credential.Kind.PRACTICE else "",
            registered_institution="杏林互联网医院" if kind == Credential.Kind.PRACTICE else "",
            status=Credential.Status.PENDING if pending else Credential.Status.VERIFIED,
            reviewed_at=None if pending else timezone.now(),
        )
        credential.scan.save(f"{kind}.pdf", ContentFile(PDF_SCAN), save=False)
        credential.save()


def _sessions(doctor: DoctorProfile, modes: set[str]) -> None:
    if doctor.weekly_availability.exists():
        return
    for weekday in range(7):
        if "video" in modes:
            WeeklyAvailability.objects.create(
                doctor=doctor,
                mode="video",
                weekday=weekday,
                start_time=dt.time(9, 0),
                end_time=dt.time(11, 0),
                slot_minutes=20,
            )
        if "text" in modes:
            WeeklyAvailability.objects.create(
                doctor=doctor,
                mode="text",
                weekday=weekday,
                start_time=dt.time(14, 0),
                end_time=dt.time(17, 0),
                slot_minutes=30,
                capacity=5,
            )
        if "phone" in modes:
            WeeklyAvailability.objects.create(
                doctor=doctor,
                mode="phone",
                weekday=weekday,
                start_time=dt.time(19, 0),
                end_time=dt.time(20, 0),
                slot_minutes=15,
            )


def seed_demo_data(*, stdout: Any) -> None:
    departments = {}
    for ordering, (code, name_zh, name_en) in enumerate(DEPARTMENTS, start=1):
        departments[code], _created = Department.objects.get_or_create(
            code=code, defaults={"name_zh": name_zh, "name_en": name_en, "ordering": ordering * 10}
        )
    for index, (email, name, department, title, tier, years, specialties, fees) in enumerate(
        DOCTORS, start=1
    ):
        user = _account(email, name)
        doctor, created = DoctorProfile.objects.get_or_create(
            user=user,
            defaults={
                "name": name,
                "department": departments[department],
                "title": title,
                "tier": tier,
                "years_of_practice": years,
                "specialties": specialties,
                "bio": f"{departments[department].name_zh}医生，从业{years}年，擅长{specialties}。",
                "languages": "zh,en" if index % 3 == 1 else "zh",
                "rating": Decimal("4.5") + Decimal(index % 5) / 10,
                "rating_count": 20 * index,
            },
        )
        modes = set()
        for mode, fee in zip(("text", "video", "phone"), fees, strict=True):
            if fee is not None:
                modes.add(mode)
                DoctorService.objects.get_or_create(
                    doctor=doctor, mode=mode, defaults={"fee": Decimal(fee)}
                )
        _credentials(doctor, index, pending_title=email == PENDING_DOCTOR_EMAIL)
        _sessions(doctor, modes)
        stdout.write(f"  {'created' if created else 'kept'} doctor {name} <{email}>")
    opened = slots_generate(days_ahead=7)
    stdout.write(f"  opened {opened} slots for the coming week")
    seed_tier_demo(stdout=stdout)
    seed_consultation_demo(stdout=stdout)
    seed_record_demo(stdout=stdout)
    seed_house_call_demo(stdout=stdout)
    seed_prescription_demo(stdout=stdout)
    seed_review_demo(stdout=stdout)
    seed_care_team_demo(stdout=stdout)
    seed_reminder_demo(stdout=stdout)
