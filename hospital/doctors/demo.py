"""Demo tier policies, the duty roster of the demo full-time doctors, and an assistant for the
demo experts. Idempotent: policies by tier, the assistant by e-mail, shifts skipped where the
time is already rostered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import User
from core.exceptions import DomainError
from hospital.doctors.models import DoctorProfile, TierPolicy
from hospital.doctors.rosters import duty_shift_add
from hospital.doctors.tiers import expert_assistant_add

ASSISTANT_EMAIL = "assistant@xinglin.test"
ASSISTANT_NAME = "李助理"
DEMO_PASSWORD = "Xinglin-demo-2026"  # noqa: S105  (demo only, published in the README)

T = DoctorProfile.Tier
# tier, fee floor, fee ceiling, response promise (minutes), what patients read (zh, en)
POLICIES = (
    (
        T.FULL_TIME,
        "10",
        "100",
        10,
        "杏林全职医生 24 小时值班，快速问诊 10 分钟内接诊。",
        "Our full-time doctors are on duty around the clock and take a quick consult within "
        "10 minutes.",
    ),
    (
        T.CONTRACTED,
        "20",
        "200",
        None,
        "合作医院的签约医生，按排班预约问诊。",
        "Doctors of our partner hospitals, booked by their schedule.",
    ),
    (
        T.EXPERT,
        "50",
        "500",
        120,
        "名医一键呼叫：名医助理 2 小时内确认预约，否则全额退款。",
        "Call a senior expert in one tap: their assistant confirms a time within 2 hours, or "
        "you are refunded in full.",
    ),
)

# The demo doctor (cardiology) and 刘洋 (gastroenterology, who opens the demo's 会诊 case) also
# cover the night, so the 24×7 queue has a doctor on duty and the demo seeds the same whenever
# it is opened; the other full-time doctors work the day shift.
NIGHT_DOCTOR_EMAILS = frozenset({"doctor@xinglin.test", "doctor4@xinglin.test"})
ROSTER_DAYS = range(-1, 8)


def _assistant_account() -> User:
    user = User.objects.filter(email=ASSISTANT_EMAIL).first()
    if user is None:
        user = User.objects.create_user(
            email=ASSISTANT_EMAIL, password=DEMO_PASSWORD, display_name=ASSISTANT_NAME
        )
        EmailAddress.objects.get_or_create(
            user=user, email=ASSISTANT_EMAIL, defaults={"verified": True, "primary": True}
        )
    return user


def _roster(doctor: DoctorProfile, *, night: bool) -> int:
    today = timezone.localdate()
    rostered = 0
    for offset in ROSTER_DAYS:
        day = today + dt.timedelta(days=offset)
        start = timezone.make_aware(dt.datetime.combine(day, dt.time(8, 0)))
        shifts = [(start, start + dt.timedelta(hours=12), "白班")]
        if night:
            shifts.append((start + dt.timedelta(hours=12), start + dt.timedelta(hours=24), "夜班"))
        for starts_at, ends_at, note in shifts:
            try:
                duty_shift_add(doctor=doctor, starts_at=starts_at, ends_at=ends_at, note=note)
            except DomainError:
                continue  # already rostered
            rostered += 1
    return rostered


def seed_tier_demo(*, stdout: Any) -> None:
    for tier, floor, ceiling, minutes, description_zh, description_en in POLICIES:
        TierPolicy.objects.get_or_create(
            tier=tier,
            defaults={
                "fee_floor": Decimal(floor),
                "fee_ceiling": Decimal(ceiling),
                "response_minutes": minutes,
                "description_zh": description_zh,
                "description_en": description_en,
            },
        )
    rostered = 0
    for doctor in DoctorProfile.objects.filter(tier=T.FULL_TIME).select_related("user"):
        rostered += _roster(doctor, night=doctor.user.email in NIGHT_DOCTOR_EMAILS)
    stdout.write(f"  rostered {rostered} duty shifts of full-time doctors")
    assistant = _assistant_account()
    for expert in DoctorProfile.objects.filter(tier=T.EXPERT).order_by("pk"):
        expert_assistant_add(expert=expert, user=assistant)
        stdout.write(f"  {ASSISTANT_EMAIL} assists the expert {expert.name}")
