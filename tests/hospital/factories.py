from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.roles import Role
from hospital.booking.models import Slot, WeeklyAvailability
from hospital.doctors.models import (
    Credential,
    Department,
    DoctorProfile,
    DoctorService,
    DutyShift,
)
from tests.accounts.factories import UserFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name_zh = factory.Sequence(lambda n: f"科室{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")


class DoctorUserFactory(UserFactory):
    roles = factory.PostGeneration(
        lambda user, create, extracted, **kw: (
            create and user.groups.add(Group.objects.get_or_create(name=Role.DOCTOR)[0])
        )
    )


class CredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credential

    doctor = None
    kind = Credential.Kind.QUALIFICATION
    number = factory.Sequence(lambda n: f"CERT{n:08d}")
    authority = "国家卫生健康委员会"
    issued_on = dt.date(2015, 7, 1)
    expires_on = None
    status = Credential.Status.VERIFIED
    scan = factory.LazyFunction(lambda: ContentFile(PDF_BYTES, name="scan.pdf"))
    practice_scope = factory.LazyAttribute(lambda o: "内科" if o.kind == "practice" else "")
    registered_institution = factory.LazyAttribute(
        lambda o: "杏林互联网医院" if o.kind == "practice" else ""
    )


class DoctorFactory(factory.django.DjangoModelFactory):
    """A doctor who may practise: three verified credentials, 10 years, all three modes."""

    class Meta:
        model = DoctorProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(DoctorUserFactory)
    name = factory.Sequence(lambda n: f"医生{n}")
    department = factory.SubFactory(DepartmentFactory)
    title = DoctorProfile.Title.ATTENDING
    tier = DoctorProfile.Tier.FULL_TIME
    years_of_practice = 10

    @factory.post_generation
    def credentials(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        for kind in Credential.Kind:
            CredentialFactory(doctor=self, kind=kind)

    @factory.post_generation
    def on_duty(self, create, extracted, **kwargs):
        """A full-time doctor is on the duty roster around now unless told `on_duty=False`."""
        if not create or extracted is False or self.tier != DoctorProfile.Tier.FULL_TIME:
            return
        now = timezone.now()
        DutyShift.objects.create(
            doctor=self,
            starts_at=now - dt.timedelta(hours=12),
            ends_at=now + dt.timedelta(hours=12),
        )

    @factory.post_generation
    def fees(self, create, extracted, **kwargs):
        if not create:
            return
        fees = extracted or {"text": "30.00", "video": "80.00", "phone": "60.00"}
        for mode, fee in fees.items():
            DoctorService.objects.create(doctor=self, mode=mode, fee=Decimal(fee))


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    doctor = factory.SubFactory(DoctorFactory)
    mode = "video"
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=15))
    capacity = 1


class AvailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeeklyAvailability

    doctor = factory.SubFactory(DoctorFactory)
    mode = "video"
    weekday = 0
    start_time = dt.time(9, 0)
    end_time = dt.time(10, 0)
    slot_minutes = 15
