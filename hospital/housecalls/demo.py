"""Demo house calls: Beijing (the demo city) served in two districts, and one house call of the
demo patient under way — paid in the sandbox, triaged, dispatched and accepted by the demo
doctor — which `manage.py house_call_simulate` moves on to the door.

Idempotent: the areas are looked up by name, and a demo patient who already has a house call
keeps it. Everything after the areas goes through the services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.demo import DEMO_ADMIN_EMAIL, DEMO_DOCTOR_EMAIL, DEMO_PATIENT_EMAIL
from accounts.models import PatientProfile, User
from core.exceptions import DomainError
from hospital.doctors.models import Department
from hospital.housecalls.models import HouseCall, ServiceArea, ServiceCity
from hospital.housecalls.services import (
    house_call_accept,
    house_call_dispatch,
    house_call_request,
    house_call_triage,
)
from payments.services import payment_sandbox_complete

# city (zh, en), departments offered, districts: (zh, en, opens, closes, fee)
DEMO_CITIES = (
    (
        ("北京", "Beijing"),
        ("general", "cardiology", "endocrinology", "pediatrics"),
        (
            # Around the clock (the same time twice), so the demo works whenever it is seeded.
            ("朝阳区", "Chaoyang", dt.time(0, 0), dt.time(0, 0), Decimal("199.00")),
            ("海淀区", "Haidian", dt.time(8, 0), dt.time(22, 0), Decimal("229.00")),
        ),
    ),
)


def _seed_areas(stdout: Any) -> None:
    for (name_zh, name_en), department_codes, districts in DEMO_CITIES:
        city, created = ServiceCity.objects.get_or_create(
            name_zh=name_zh, defaults={"name_en": name_en}
        )
        city.departments.add(*Department.objects.filter(code__in=department_codes))
        for district_zh, district_en, opens_at, closes_at, fee in districts:
            ServiceArea.objects.get_or_create(
                city=city,
                district_zh=district_zh,
                defaults={
                    "district_en": district_en,
                    "opens_at": opens_at,
                    "closes_at": closes_at,
                    "fee": fee,
                },
            )
        stdout.write(f"  {'created' if created else 'kept'} house-call city {name_zh}")


def _seed_house_call_under_way(stdout: Any) -> None:
    patient = PatientProfile.objects.filter(
        account__email=DEMO_PATIENT_EMAIL, relationship=PatientProfile.Relationship.SELF
    ).first()
    doctor_user = User.objects.filter(email=DEMO_DOCTOR_EMAIL).first()
    operator = User.objects.filter(email=DEMO_ADMIN_EMAIL).first()
    department = Department.objects.filter(code="cardiology").first()
    if patient is None or doctor_user is None or operator is None or department is None:
        return
    if HouseCall.objects.filter(patient=patient).exists():
        stdout.write("  kept the demo house call")
        return
    try:
        house_call = house_call_request(
            account=patient.account,
            patient_id=patient.pk,
            department_id=department.pk,
            city="北京",
            district="朝阳区",
            address="建国路88号 2号楼1单元502",
            contact_phone="13800138000",
            symptoms="高血压，近两天头晕，家中血压计测得160/100，行动不便，希望医生上门看看。",
        )
        if house_call.payment is not None:
            payment_sandbox_complete(payment=house_call.payment, succeed=True)
        house_call_triage(
            actor=operator,
            house_call_id=house_call.pk,
            outcome=HouseCall.TriageOutcome.DISPATCH,
            note="电话分诊：意识清楚，无胸痛及肢体无力，血压偏高，安排心内科医生上门。",
        )
        house_call_dispatch(actor=operator, house_call_id=house_call.pk, eta_minutes=45)
        house_call_accept(doctor_user=doctor_user, house_call_id=house_call.pk)
    except DomainError as error:
        stdout.write(f"  demo house call not created: {error.message}")
        return
    stdout.write(f"  house call #{house_call.pk} accepted by the demo doctor")


def seed_house_call_demo(*, stdout: Any) -> None:
    _seed_areas(stdout)
    _seed_house_call_under_way(stdout)
