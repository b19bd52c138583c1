from __future__ import annotations

import datetime as dt
import random

import factory
from django.contrib.auth.models import Group

from accounts.models import PatientProfile, User
from accounts.roles import Role
from accounts.validators import resident_id_check_character


def make_resident_id(birth_date: dt.date, *, male: bool = True, area: str = "110105") -> str:
    sequence = f"{random.randint(0, 99):02d}{random.choice('13579' if male else '02468')}"
    first_17 = f"{area}{birth_date:%Y%m%d}{sequence}"
    return first_17 + resident_id_check_character(first_17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    password = factory.PostGenerationMethodCall("set_password", "Xinglin-test-2026")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            for role in extracted:
                group, _ = Group.objects.get_or_create(name=str(role))
                self.groups.add(group)
        if create:
            self.save()


class PatientUserFactory(UserFactory):
    roles = factory.PostGeneration(
        lambda user, create, extracted, **kw: create
        and user.groups.add(Group.objects.get_or_create(name=Role.PATIENT)[0])
    )


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
