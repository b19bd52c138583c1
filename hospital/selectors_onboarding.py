"""Reads of a doctor's own onboarding: their credentials, newest first, and where each kind
stands. Always scoped to the doctor's own account: another doctor's filing is not found."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.exceptions import NotFound
from hospital.models import Credential, DoctorProfile
from hospital.services.doctors import doctor_practice_problems


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
