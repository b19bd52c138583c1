"""Doctors' right to practise: credentials, their review and expiry, and suspension."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from accounts.services import user_assign_role
from core.exceptions import Conflict, DomainError, NotFound
from core.uploads import JPEG, PDF, PNG, upload_content_type
from hospital.doctors.models import (
    ConsultationMode,
    Credential,
    Department,
    DoctorProfile,
    DoctorService,
)
from hospital.doctors.tiers import fee_check_within_band
from hospital.rules import figure
from notifications.services import notification_send, notification_send_to_operators


def scan_kind(upload: Any) -> str:
    """The scan's real content type: a PDF, JPEG or PNG within the size limit."""
    return upload_content_type(
        upload,
        allowed=(PDF, JPEG, PNG),
        max_bytes=figure("CREDENTIAL_SCAN_MAX_BYTES"),
        field="scan",
        too_large=str(_("The scan must be at most %(mb)s MB.")),
        wrong_type=str(_("The scan must be a PDF, JPEG or PNG file.")),
    )


def _valid_credential_q(today: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}status": Credential.Status.VERIFIED}) & (
        Q(**{f"{prefix}expires_on__isnull": True}) | Q(**{f"{prefix}expires_on__gte": today})
    )


def doctor_practice_problems(*, doctor: DoctorProfile, today: dt.date | None = None) -> list[str]:
    """Why this doctor may not practise today (empty: they may). Read fresh from the database
    each time, so a suspension or an expiry stops the very next action."""
    today = today or timezone.localdate()
    doctor = DoctorProfile.objects.get(pk=doctor.pk)
    problems: list[str] = []
    if doctor.is_suspended:
        problems.append(str(_("The doctor is suspended.")))
    if doctor.years_of_practice < figure("MIN_YEARS_OF_PRACTICE"):
        problems.append(
            str(_("The doctor has fewer than %(years)s years of practice."))
            % {"years": figure("MIN_YEARS_OF_PRACTICE")}
        )
    valid_kinds = set(
        doctor.credentials.filter(_valid_credential_q(today)).values_list("kind", flat=True)
    )
    for kind in Credential.Kind:
        if kind not in valid_kinds:
            problems.append(str(_("No verified, unexpired %(kind)s.")) % {"kind": kind.label})
    return problems


def doctor_may_practise(*, doctor: DoctorProfile) -> bool:
    return not doctor_practice_problems(doctor=doctor)


def doctor_check_may_practise(*, doctor: DoctorProfile) -> None:
    """Raises Conflict when the doctor may not practise; called before every clinical action."""
    problems = doctor_practice_problems(doctor=doctor)
    if problems:
        raise Conflict(
            str(_("This doctor cannot see patients at the moment.")) + " " + " ".join(problems),
            code="doctor_may_not_practise",
        )


@transaction.atomic
def doctor_suspend(*, doctor_id: int, reason: str, actor: Any) -> DoctorProfile:
    if not reason.strip():
        raise DomainError(str(_("Give a reason for the suspension.")), field="reason")
    doctor = DoctorProfile.objects.select_for_update().get(pk=doctor_id)
    doctor.is_suspended, doctor.suspension_reason = True, reason.strip()[:200]
    doctor.save(update_fields=["is_suspended", "suspension_reason"])
    return doctor


@transaction.atomic
def doctor_reinstate(*, doctor_id: int, actor: Any) -> DoctorProfile:
    doctor = DoctorProfile.objects.select_for_update().get(pk=doctor_id)
    doctor.is_suspended, doctor.suspension_reason = False, ""
    doctor.save(update_fields=["is_suspended", "suspension_reason"])
    return doctor


def credential_submit(
    *,
    doctor: DoctorProfile,
    kind: str,
    number: str,
    authority: str,
    issued_on: dt.date,
    scan: Any,
    expires_on: dt.date | None = None,
    practice_scope: str = "",
    registered_institution: str = "",
) -> Credential:
    """A doctor files a certificate; it waits in the operators' verification queue."""
    scan_kind(scan)
    if kind == Credential.Kind.PRACTICE and not (practice_scope and registered_institution):
        raise DomainError(
            str(_("A practice certificate needs its practice scope and registered institution.")),
            field="practice_scope",
        )
    if expires_on is not None and expires_on <= issued_on:
        raise DomainError(
            str(_("The expiry date must be after the issue date.")), field="expires_on"
        )
    if issued_on > timezone.localdate():
        raise DomainError(str(_("The issue date cannot be in the future.")), field="issued_on")
    if Credential.objects.filter(
        kind=kind, number=number, status__in=[Credential.Status.PENDING, Credential.Status.VERIFIED]
    ).exists():
        raise Conflict(str(_("This certificate has already been filed.")), code="duplicate")
    credential = Credential(
        doctor=doctor,
        kind=kind,
        number=number,
        authority=authority,
        issued_on=issued_on,
        expires_on=expires_on,
        practice_scope=practice_scope,
        registered_institution=registered_institution,
    )
    credential.scan.save(getattr(scan, "name", "scan") or "scan", scan, save=False)
    credential.save()
    transaction.on_commit(
        lambda: notification_send_to_operators(
            kind="hospital.credential_submitted",
            subject=str(_("A doctor's credential awaits verification")),
            body=f"{doctor.name}: {credential.get_kind_display()} {credential.number}",
            dedupe_key=f"credential-submitted:{credential.pk}",
            link=f"/admin/hospital/credential/{credential.pk}/change/",
        )
    )
    return credential


@transaction.atomic
def credential_verify(*, credential_id: int, reviewer: Any) -> Credential:
    credential = Credential.objects.select_for_update().get(pk=credential_id)
    if credential.status == Credential.Status.VERIFIED:
        return credential
    if credential.status != Credential.Status.PENDING:
        raise Conflict(
            str(_("Only a pending credential can be verified.")), code="invalid_transition"
        )
    if credential.expires_on is not None and credential.expires_on < timezone.localdate():
        raise Conflict(str(_("This credential has already expired.")), code="expired")
    if reviewer.pk == credential.doctor.user_id:
        raise Conflict(str(_("Doctors cannot verify their own credentials.")), code="own")
    credential.status = Credential.Status.VERIFIED
    credential.reviewed_by, credential.reviewed_at = reviewer, timezone.now()
    credential.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    doctor = credential.doctor
    subject = str(_("Your credential was verified"))
    body = f"{credential.get_kind_display()} {credential.number}"
    # Read after commit: when the operator verifies the last missing certificate, the doctor
    # learns in the same message that patients can now book them.
    transaction.on_commit(
        lambda: notification_send(
            recipient=doctor.user,
            kind="hospital.credential_verified",
            subject=subject,
            body=body
            + (
                ""
                if doctor_practice_problems(doctor=doctor)
                else " " + str(_("You may now see patients."))
            ),
            dedupe_key=f"credential-verified:{credential.pk}",
            link="/doctor/credentials/",
        )
    )
    return credential


@transaction.atomic
def credential_reject(*, credential_id: int, reviewer: Any, reason: str) -> Credential:
    if not reason.strip():
        raise DomainError(str(_("Give the doctor a reason for the rejection.")), field="reason")
    credential = (
        Credential.objects.select_for_update().select_related("doctor").get(pk=credential_id)
    )
    if credential.status == Credential.Status.REJECTED:
        return credential
    if credential.status != Credential.Status.PENDING:
        raise Conflict(
            str(_("Only a pending credential can be rejected.")), code="invalid_transition"
        )
    credential.status = Credential.Status.REJECTED
    credential.rejection_reason = reason.strip()[:200]
    credential.reviewed_by, credential.reviewed_at = reviewer, timezone.now()
    credential.save(update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at"])
    doctor_user = credential.doctor.user
    transaction.on_commit(
        lambda: notification_send(
            recipient=doctor_user,
            kind="hospital.credential_rejected",
            subject=str(_("Your credential was not accepted")),
            body=f"{credential.get_kind_display()} {credential.number}: "
            f"{credential.rejection_reason}",
            dedupe_key=f"credential-rejected:{credential.pk}",
            link="/doctor/credentials/",
        )
    )
    return credential


def credentials_expire_due(*, today: dt.date | None = None) -> int:
    """Marks verified credentials past their expiry date expired; returns how many."""
    today = today or timezone.localdate()
    expired = 0
    due = Credential.objects.filter(
        status=Credential.Status.VERIFIED, expires_on__lt=today
    ).values_list("pk", flat=True)
    for credential_id in list(due):
        with transaction.atomic():
            credential = (
                Credential.objects.select_for_update()
                .select_related("doctor__user")
                .get(pk=credential_id)
            )
            if credential.status != Credential.Status.VERIFIED:
                continue
            credential.status = Credential.Status.EXPIRED
            credential.save(update_fields=["status"])
            expired += 1
            _notify_doctor_of_expiry(credential, expired_now=True)
    return expired


def credentials_warn_expiring(*, today: dt.date | None = None) -> int:
    """Warns each doctor once at each warning point before a verified credential expires (30
    and 7 days): a credential first seen inside the 7 days gets only that warning."""
    today = today or timezone.localdate()
    warned = 0
    for days in sorted(figure("CREDENTIAL_EXPIRY_WARNING_DAYS")):
        window_opens = F("expires_on") - dt.timedelta(days=days)
        due = Credential.objects.filter(
            Q(expiry_warned_on__isnull=True) | Q(expiry_warned_on__lt=window_opens),
            status=Credential.Status.VERIFIED,
            expires_on__gte=today,
            expires_on__lte=today + dt.timedelta(days=days),
        ).values_list("pk", flat=True)
        for credential_id in list(due):
            with transaction.atomic():
                credential = (
                    Credential.objects.select_for_update()
                    .select_related("doctor__user")
                    .get(pk=credential_id)
                )
                assert credential.expires_on is not None  # the filter took only dated ones
                opens = credential.expires_on - dt.timedelta(days=days)
                warned_on = credential.expiry_warned_on
                if warned_on is not None and warned_on >= opens:
                    continue
                credential.expiry_warned_on = today
                credential.save(update_fields=["expiry_warned_on"])
                warned += 1
                _notify_doctor_of_expiry(credential, expired_now=False, days=days)
    return warned


def _notify_doctor_of_expiry(credential: Credential, *, expired_now: bool, days: int = 0) -> None:
    if expired_now:
        subject = str(_("Your credential has expired: you cannot see patients until it is renewed"))
        key = f"credential-expired:{credential.pk}"
    else:
        subject = str(_("Your credential expires on %(date)s")) % {"date": credential.expires_on}
        key = f"credential-expiring:{credential.pk}:{credential.expires_on}:{days}"
    recipient = credential.doctor.user
    body = f"{credential.get_kind_display()} {credential.number} ({credential.expires_on})"
    transaction.on_commit(
        lambda: notification_send(
            recipient=recipient,
            kind="hospital.credential_expiry",
            subject=subject,
            body=body,
            dedupe_key=key,
        )
    )


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
    for fee in offered.values():
        fee_check_within_band(tier=tier, fee=fee, field="services")
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
