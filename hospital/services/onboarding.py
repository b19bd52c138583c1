"""A doctor's own side of onboarding: applying to practise and filing certificates.

Operators review what is filed here in the admin (credential_verify / credential_reject); a
doctor practises once doctor_practice_problems has nothing left to say, so there is no separate
"approved" switch that could drift from the certificates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from accounts.services import user_assign_role
from core.exceptions import Conflict, DomainError, NotFound
from hospital.models import (
    ConsultationMode,
    Credential,
    Department,
    DoctorProfile,
    DoctorService,
)
from hospital.services.doctors import credential_submit
from notifications.services import notification_send_to_operators


def doctor_apply(
    *,
    user: Any,
    name: str,
    department_id: int,
    title: str,
    tier: str,
    years_of_practice: int,
    services: Iterable[Mapping[str, Any]],
    bio: str = "",
    specialties: str = "",
    languages: Iterable[str] = ("zh",),
) -> DoctorProfile:
    """An account applies to practise: its doctor profile and the consultations it offers.

    The profile cannot be booked until an operator has verified its three certificates. The
    account gets the doctor role at once, so from its next request it must set up TOTP like
    every clinician before it can file anything.
    """
    offered = _services_check(services)
    if not name.strip():
        raise DomainError(str(_("Enter your name as on your certificates.")), field="name")
    if title not in DoctorProfile.Title.values:
        raise DomainError(str(_("Choose your professional title.")), field="title")
    if tier not in DoctorProfile.Tier.values:
        raise DomainError(str(_("Choose how you would work with us.")), field="tier")
    department = Department.objects.filter(pk=department_id, is_active=True).first()
    if department is None:
        raise DomainError(str(_("Choose a department.")), field="department")
    language_codes = [code.strip().lower() for code in languages if code.strip()]
    with transaction.atomic():
        # The account row serialises two applications sent at once (a double click): the
        # second sees the first one's profile and is refused below.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if DoctorProfile.objects.filter(user_id=user.pk).exists():
            raise Conflict(
                str(_("This account has already applied to practise.")), code="already_applied"
            )
        doctor = DoctorProfile.objects.create(
            user=user,
            name=name.strip(),
            department=department,
            title=title,
            tier=tier,
            years_of_practice=years_of_practice,
            bio=bio.strip(),
            specialties=specialties.strip(),
            languages=",".join(dict.fromkeys(language_codes)) or "zh",
        )
        DoctorService.objects.bulk_create(
            DoctorService(doctor=doctor, mode=mode, fee=fee) for mode, fee in offered.items()
        )
        user_assign_role(user=user, role=Role.DOCTOR)
        transaction.on_commit(lambda: _notify_operators_of_application(doctor))
    return doctor


def _services_check(services: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    offered: dict[str, Decimal] = {}
    for service in services:
        mode, fee = service["mode"], Decimal(service["fee"])
        if mode not in ConsultationMode.values:
            raise DomainError(str(_("Unknown consultation mode.")), field="services")
        if mode in offered:
            raise DomainError(
                str(_("Each consultation mode can be offered once.")), field="services"
            )
        if fee < 0:
            raise DomainError(str(_("A fee cannot be negative.")), field="services")
        offered[mode] = fee
    if not offered:
        raise DomainError(
            str(_("Offer at least one consultation mode (text, video or phone).")),
            field="services",
        )
    return offered


def _notify_operators_of_application(doctor: DoctorProfile) -> None:
    notification_send_to_operators(
        kind="hospital.doctor_applied",
        subject=str(_("A doctor applied to practise")),
        body=f"{doctor.name} · {doctor.department} · {doctor.get_title_display()}",
        dedupe_key=f"doctor-applied:{doctor.pk}",
        link=f"/admin/hospital/doctorprofile/{doctor.pk}/change/",
    )


def doctor_credential_submit(
    *,
    user: Any,
    kind: str,
    number: str,
    authority: str,
    issued_on: dt.date,
    scan: Any,
    expires_on: dt.date | None = None,
    practice_scope: str = "",
    registered_institution: str = "",
) -> Credential:
    """A doctor files one of their own certificates for review.

    One filing per kind waits in the queue at a time; after a rejection the doctor files
    again and the rejected filing stays, with its reason, as history. A new filing beside a
    verified one is a renewal and is accepted.
    """
    with transaction.atomic():
        doctor = DoctorProfile.objects.select_for_update().filter(user_id=user.pk).first()
        if doctor is None:
            raise NotFound(str(_("Apply to practise before filing certificates.")))
        if doctor.credentials.filter(kind=kind, status=Credential.Status.PENDING).exists():
            raise Conflict(
                str(_("A certificate of this kind is already waiting for review.")),
                code="already_pending",
            )
        return credential_submit(
            doctor=doctor,
            kind=kind,
            number=number.strip(),
            authority=authority.strip(),
            issued_on=issued_on,
            scan=scan,
            expires_on=expires_on,
            practice_scope=practice_scope.strip(),
            registered_institution=registered_institution.strip(),
        )
