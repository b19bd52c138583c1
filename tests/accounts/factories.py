from __future__ import annotations

import datetime as dt
import random
import time

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.contrib.auth.models import Group

from accounts.demo import DEMO_TOTP_SECRET
from accounts.models import PatientProfile, User
from accounts.roles import Role
from accounts.validators import resident_id_check_character


def make_resident_id(birth_date: dt.date, *, male: bool = True, area: str = "110105") -> str:
    sequence = f"{random.randint(0, 99):02d}{random.choice('13579' if male else '02468')}"
    first_17 = f"{area}{birth_date:%Y%m%d}{sequence}"
    return first_17 + resident_id_check_character(first_17)


def _with_roles(*default_roles: Role) -> factory.PostGeneration:
    """`roles=[...]` at the call replaces the factory's default roles."""

    def add_roles(user: User, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if not create:
            return
        for role in default_roles if extracted is None else extracted:
            user.groups.add(Group.objects.get_or_create(name=str(role))[0])

    return factory.PostGeneration(add_roles)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    password = factory.django.Password("Xinglin-test-2026")
    roles = _with_roles()


class PatientUserFactory(UserFactory):
    roles = _with_roles(Role.PATIENT)


class DoctorUserFactory(UserFactory):
    roles = _with_roles(Role.DOCTOR)


class PharmacistUserFactory(UserFactory):
    roles = _with_roles(Role.PHARMACIST)


class OperatorUserFactory(UserFactory):
    is_staff = True
    roles = _with_roles(Role.OPERATOR)


class PatientProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientProfile

    account = factory.SubFactory(PatientUserFactory)
    relationship = PatientProfile.Relationship.SELF
    real_name = factory.Sequence(lambda n: f"患者{n}")
    sex = PatientProfile.Sex.MALE
    birth_date = dt.date(1980, 5, 17)
    resident_id_number = factory.LazyAttribute(
        lambda o: make_resident_id(o.birth_date, male=o.sex == PatientProfile.Sex.MALE)
    )
    phone = "+8613800138000"


def activate_totp(user: User, secret: str = DEMO_TOTP_SECRET) -> None:
    """Gives the user a TOTP authenticator, as if they had scanned the QR code."""
    TOTP.activate(user, secret)


def totp_code(secret: str = DEMO_TOTP_SECRET) -> str:
    # A code made in the last moment of its 30-second period can reach the check in the next
    # period, where it is refused; a person would wait for the next code, and so does this.
    left_in_period = 30 - time.time() % 30
    if left_in_period < 1:
        time.sleep(left_in_period)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def verified_email(user: User) -> User:
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user
