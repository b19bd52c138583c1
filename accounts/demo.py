"""Demo accounts for `manage.py seed_demo`. Other apps' demo modules look users up by email
from DEMO_ACCOUNTS, e.g. `User.objects.get(email=DEMO_DOCTOR_EMAIL)`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import decrypt, encrypt

from accounts.models import PatientProfile, User
from accounts.roles import Role
from accounts.services import patient_profile_create, user_assign_role

# Demo only: everyone who runs the demo knows these, so they protect nothing.
DEMO_PASSWORD = "Xinglin-demo-2026"  # noqa: S105
# 160 bits (32 base32 characters), as RFC 4226 recommends: authenticator apps and libraries
# refuse shorter secrets.
DEMO_TOTP_SECRET = "VKVGV7JNSFW7YWTFRVNKFS3ATXIGY5D6"  # noqa: S105
# The 80-bit secret demos were seeded with before; seeding again replaces it.
_SHORT_DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # noqa: S105


@dataclass(frozen=True)
class DemoPatient:
    relationship: str
    real_name: str
    sex: str
    birth_date: dt.date
    resident_id_number: str
    phone: str = ""


@dataclass(frozen=True)
class DemoAccount:
    email: str
    display_name: str
    role: Role
    is_superuser: bool = False
    patients: tuple[DemoPatient, ...] = field(default_factory=tuple)

    @property
    def needs_mfa(self) -> bool:
        return self.is_superuser or self.role != Role.PATIENT


DEMO_PATIENT_EMAIL = "patient@xinglin.test"
DEMO_PATIENT2_EMAIL = "patient2@xinglin.test"
DEMO_DOCTOR_EMAIL = "doctor@xinglin.test"
DEMO_PHARMACIST_EMAIL = "pharmacist@xinglin.test"
DEMO_CLAIMS_OFFICER_EMAIL = "claims@xinglin.test"
DEMO_ADMIN_EMAIL = "admin@xinglin.test"
# The demo doctor's one name: the account's display name and hospital's doctor profile alike.
DEMO_DOCTOR_NAME = "李明"

# Resident ID numbers below carry valid check digits and match each person's birth date and sex.
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        email=DEMO_PATIENT_EMAIL,
        display_name="张伟",
        role=Role.PATIENT,
        patients=(
            DemoPatient(
                "self", "张伟", "male", dt.date(1980, 5, 17), "110105198005170017", "+8613800138000"
            ),
            DemoPatient("child", "张小雨", "female", dt.date(2021, 3, 8), "110105202103080022"),
            # The spouse gets copies of chosen notices as the account's caregiver.
            DemoPatient(
                "spouse",
                "王丽",
                "female",
                dt.date(1982, 8, 9),
                "110105198208090025",
                "+8613900139000",
            ),
        ),
    ),
    DemoAccount(
        email=DEMO_PATIENT2_EMAIL,
        display_name="李娜",
        role=Role.PATIENT,
        patients=(
            DemoPatient(
                "self",
                "李娜",
                "female",
                dt.date(1975, 11, 2),
                "310104197511020042",
                "+8613900139000",
            ),
        ),
    ),
    DemoAccount(email=DEMO_DOCTOR_EMAIL, display_name=DEMO_DOCTOR_NAME, role=Role.DOCTOR),
    DemoAccount(email=DEMO_PHARMACIST_EMAIL, display_name="陈药师", role=Role.PHARMACIST),
    DemoAccount(email=DEMO_CLAIMS_OFFICER_EMAIL, display_name="刘理赔", role=Role.CLAIMS_OFFICER),
    DemoAccount(
        email=DEMO_ADMIN_EMAIL, display_name="平台管理员", role=Role.OPERATOR, is_superuser=True
    ),
)


def _seed_account(demo: DemoAccount) -> tuple[User, bool]:
    user, created = User.objects.get_or_create(
        email=demo.email,
        defaults={
            "display_name": demo.display_name,
            "is_superuser": demo.is_superuser,
            "is_staff": demo.is_superuser,
        },
    )
    if created:
        # Hashing is slow on purpose; a password someone changed on a demo is left alone.
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    user_assign_role(user=user, role=demo.role)
    EmailAddress.objects.update_or_create(
        user=user, email=demo.email, defaults={"verified": True, "primary": True}
    )
    if demo.needs_mfa:
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is None:
            TOTP.activate(user, DEMO_TOTP_SECRET)
        elif decrypt(totp.data["secret"]) == _SHORT_DEMO_TOTP_SECRET:
            totp.data = {**totp.data, "secret": encrypt(DEMO_TOTP_SECRET)}
            totp.save(update_fields=["data"])
        RecoveryCodes.activate(user)
    for patient in demo.patients:
        if not PatientProfile.objects.filter(
            account=user, resident_id_number=patient.resident_id_number
        ).exists():
            patient_profile_create(account=user, **vars(patient))
    return user, created


def seed_demo_data(*, stdout: Any) -> None:
    for demo in DEMO_ACCOUNTS:
        _user, created = _seed_account(demo)
        stdout.write(f"  {'created' if created else 'kept'} {demo.email} ({demo.role.value})\n")
