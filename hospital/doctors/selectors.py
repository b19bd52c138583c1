"""Reads of departments, doctors and their credentials."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import NotFound
from hospital.doctors.models import (
    Credential,
    Department,
    DoctorProfile,
    DoctorService,
    TierPolicy,
)
from hospital.doctors.services import doctor_practice_problems
from hospital.doctors.tiers import services_with_tier_band
from hospital.rules import figure


def department_list() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).order_by("ordering", "id")


def doctors_practising(*, today: dt.date | None = None) -> QuerySet[DoctorProfile]:
    """Doctors who may practise today, in one query: not suspended, experienced enough, and
    holding each kind of credential verified and unexpired."""
    today = today or timezone.localdate()
    queryset = DoctorProfile.objects.filter(
        is_suspended=False, years_of_practice__gte=figure("MIN_YEARS_OF_PRACTICE")
    )
    for kind in Credential.Kind:
        queryset = queryset.filter(
            Exists(
                Credential.objects.filter(
                    doctor=OuterRef("pk"), kind=kind, status=Credential.Status.VERIFIED
                ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            )
        )
    return queryset


def id_from_text(text: str) -> int | None:
    """A database id typed in a URL or a query string, or None when it cannot be one: only
    ASCII digits ("²".isdigit() is true, and int() refuses it), and no more than fit in a
    64-bit key (a longer number overflows the database driver)."""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


def _practice_institution() -> Subquery:
    """The hospital named on the doctor's verified practice certificate, shown on their card."""
    return Subquery(
        Credential.objects.filter(
            doctor=OuterRef("pk"),
            kind=Credential.Kind.PRACTICE,
            status=Credential.Status.VERIFIED,
        )
        .order_by("-issued_on", "-pk")
        .values("registered_institution")[:1]
    )


def doctor_list(
    *, department: int | str | None = None, q: str = "", mode: str = "", tier: str = ""
) -> QuerySet[DoctorProfile]:
    queryset = (
        doctors_practising()
        .annotate(
            practice_institution=_practice_institution(),
            tier_response_minutes=Subquery(
                TierPolicy.objects.filter(tier=OuterRef("tier")).values("response_minutes")[:1]
            ),
        )
        .select_related("department")
        .prefetch_related(
            Prefetch(
                "services",
                # With the tier's band, so the fee shown is the fee quoted.
                queryset=services_with_tier_band(DoctorService.objects.filter(is_active=True)),
            )
        )
    )
    if tier:
        queryset = queryset.filter(tier=tier)
    if department:
        department_filter = Q(department__code=department) | Q(department__parent__code=department)
        department_id = id_from_text(str(department))
        if department_id is not None:
            department_filter |= Q(department_id=department_id) | Q(
                department__parent_id=department_id
            )
        queryset = queryset.filter(department_filter)
    if q:
        queryset = queryset.filter(
            Q(name__icontains=q)
            | Q(specialties__icontains=q)
            | Q(bio__icontains=q)
            | Q(department__name_zh__icontains=q)
            | Q(department__name_en__icontains=q)
        )
    if mode:
        queryset = queryset.filter(
            Exists(DoctorService.objects.filter(doctor=OuterRef("pk"), mode=mode, is_active=True))
        )
    return queryset.order_by("department__ordering", "-rating", "id")


def doctor_get(*, doctor_id: int) -> DoctorProfile:
    doctor = doctor_list().filter(pk=doctor_id).first()
    if doctor is None:
        raise NotFound(str(_("No such doctor.")))
    return doctor


def doctor_profile_for_user(*, user: Any) -> DoctorProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return DoctorProfile.objects.select_related("department").filter(user=user).first()


def credential_list_own(*, doctor: DoctorProfile) -> QuerySet[Credential]:
    return Credential.objects.filter(doctor=doctor).order_by("kind", "-created_at", "-pk")


def credential_get_own(*, doctor: DoctorProfile, credential_id: int) -> Credential:
    credential = credential_list_own(doctor=doctor).filter(pk=credential_id).first()
    if credential is None:
        raise NotFound(str(_("No such credential.")))
    return credential


@dataclass
class CredentialKindStanding:
    """One kind of certificate on the doctor's page: the latest filing and the ones before."""

    kind: str
    label: str
    latest: Credential | None = None
    earlier: list[Credential] = field(default_factory=list)

    @property
    def may_file(self) -> bool:
        """A new filing is taken unless one is already waiting for review."""
        return self.latest is None or self.latest.status != Credential.Status.PENDING


@dataclass
class OnboardingOverview:
    doctor: DoctorProfile
    kinds: list[CredentialKindStanding]
    problems: list[str]


def onboarding_overview(*, doctor: DoctorProfile) -> OnboardingOverview:
    """Each kind with its filings (one query) and what is still missing before practising."""
    by_kind = {
        kind.value: CredentialKindStanding(kind=kind.value, label=str(kind.label))
        for kind in Credential.Kind
    }
    for credential in credential_list_own(doctor=doctor):
        standing = by_kind[credential.kind]
        if standing.latest is None:
            standing.latest = credential
        else:
            standing.earlier.append(credential)
    return OnboardingOverview(
        doctor=doctor,
        kinds=list(by_kind.values()),
        problems=doctor_practice_problems(doctor=doctor),
    )
