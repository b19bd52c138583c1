"""Writes of accounts: roles, patient profiles (就诊人), signed-in sessions, login lockouts."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.exceptions import LoginLocked
from accounts.models import AccountSession, ConsentRecord, LoginLockout, PatientProfile, User
from accounts.roles import ACCOUNTS_ROLE_PERMISSIONS, REGISTERED_ROLE_PERMISSIONS, Role
from accounts.rules import max_patient_profiles_per_account
from accounts.validators import (
    normalize_resident_id,
    resident_id_birth_date,
    resident_id_sex,
)
from audit.services import access_log_record
from core.exceptions import Conflict, DomainError, NotFound

logger = logging.getLogger(__name__)

PATIENT_PROFILE_EDITABLE_FIELDS = frozenset(
    {"relationship", "real_name", "sex", "birth_date", "resident_id_number", "phone", "is_archived"}
)


def role_groups_sync(*, using: str = "default") -> None:
    """Makes sure every role's group exists with its accounts permissions.

    The data migration creates them; this runs after every migrate and after a test database
    flush (which empties tables but re-sends post_migrate), so the roles are never missing.
    """
    for role in Role:
        group, _created = Group.objects.using(using).get_or_create(name=str(role))
        grants = {("accounts", codename) for codename in ACCOUNTS_ROLE_PERMISSIONS.get(role, ())}
        grants |= REGISTERED_ROLE_PERMISSIONS.get(role, set())
        if not grants:
            continue
        match = Q()
        for app_label, codename in grants:
            match |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.add(*Permission.objects.using(using).filter(match))


def user_assign_role(*, user: User, role: Role | str) -> None:
    group, _created = Group.objects.get_or_create(name=str(role))
    user.groups.add(group)
    # Operators run the platform from the Django admin, which only admits staff accounts.
    if str(role) == Role.OPERATOR and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_role_names", None)


def _valid_ip_or_none(text: str | None) -> str | None:
    # A forwarded-for hop is whatever the client sent: a malformed one must not cost the person
    # their account (PostgreSQL refuses it as inet), it is just not kept.
    try:
        return str(ipaddress.ip_address(text or ""))
    except ValueError:
        return None


def consent_record(*, user: User, channel: str, ip_address: str | None = None) -> ConsentRecord:
    """Records that `user` accepted the user agreement and privacy policy in the versions now
    published (LEGAL_TERMS_VERSION, LEGAL_PRIVACY_VERSION), with the separate consent to the
    processing of their health information that the signup checkbox carries."""
    return ConsentRecord.objects.create(
        user=user,
        terms_version=settings.LEGAL_TERMS_VERSION,
        privacy_version=settings.LEGAL_PRIVACY_VERSION,
        sensitive_information=True,
        channel=channel,
        ip_address=_valid_ip_or_none(ip_address),
        accepted_at=timezone.now(),
    )


def _patient_profile_validate(profile: PatientProfile) -> None:
    """Field rules, then the rules between fields: the ID number carries the birth date and
    sex, so they must agree with what was typed. Raises ValidationError with field errors."""
    profile.real_name = (profile.real_name or "").strip()
    profile.resident_id_number = normalize_resident_id(profile.resident_id_number)
    errors: dict[str, list[Any]] = {}
    try:
        profile.full_clean(exclude=["account"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    if not errors.get("resident_id_number"):
        errors.update(_resident_id_mismatches(profile, errors))
    if errors:
        raise ValidationError(errors)


def _resident_id_mismatches(
    profile: PatientProfile, errors: dict[str, list[Any]]
) -> dict[str, list[Any]]:
    number = profile.resident_id_number
    mismatches: dict[str, list[Any]] = {}
    id_birth_date = resident_id_birth_date(number)
    if (
        isinstance(profile.birth_date, dt.date)
        and not errors.get("birth_date")
        and id_birth_date != profile.birth_date
    ):
        mismatches["birth_date"] = [
            _("The birth date does not match the one in the resident ID number (%(date)s).")
            % {"date": id_birth_date.isoformat()}
        ]
    if profile.sex and not errors.get("sex") and resident_id_sex(number) != profile.sex:
        mismatches["sex"] = [_("The sex does not match the one in the resident ID number.")]
    return mismatches


def patient_profile_check(profile: PatientProfile) -> None:
    """Every rule a profile must meet before it is saved, for callers that build one
    themselves (the admin form). Raises ValidationError (field rules) or Conflict."""
    _patient_profile_validate(profile)
    _patient_profile_check_unique(profile)


def _patient_profile_check_unique(profile: PatientProfile) -> None:
    """The database constraints, checked first so the person gets a message, not an error."""
    others = PatientProfile.objects.filter(account_id=profile.account_id).exclude(pk=profile.pk)
    if (
        profile.relationship == PatientProfile.Relationship.SELF
        and others.filter(relationship=PatientProfile.Relationship.SELF).exists()
    ):
        raise Conflict(
            _("This account already has a profile for yourself; choose another relationship."),
            field="relationship",
            code="self_profile_exists",
        )
    duplicate = others.filter(resident_id_number=profile.resident_id_number).first()
    if duplicate is not None:
        message = (
            _("This person is already one of your archived patient profiles; restore it instead.")
            if duplicate.is_archived
            else _("This person is already one of your patient profiles.")
        )
        raise Conflict(
            message,
            field="resident_id_number",
            code="duplicate_patient_profile",
        )


def _patient_profile_save(profile: PatientProfile, *, update_fields: list[str] | None) -> None:
    try:
        with transaction.atomic():
            profile.save(update_fields=update_fields)
    except IntegrityError:
        # Two requests raced past the checks above; the constraint kept the data right.
        _patient_profile_check_unique(profile)
        raise Conflict(
            _("This patient profile conflicts with another one; reload and try again."),
            code="patient_profile_conflict",
        ) from None


@transaction.atomic
def patient_profile_create(
    *,
    account: User,
    relationship: str,
    real_name: str,
    sex: str,
    birth_date: dt.date,
    resident_id_number: str,
    phone: str = "",
) -> PatientProfile:
    """Adds a person this account acts for (the holder themself or a family member)."""
    # Locking the account serialises profile creation per account: the limit and the
    # uniqueness checks below then see every other profile.
    User.objects.select_for_update().filter(pk=account.pk).first()
    profile = PatientProfile(
        account=account,
        relationship=relationship,
        real_name=real_name,
        sex=sex,
        birth_date=birth_date,
        resident_id_number=resident_id_number,
        phone=phone or "",
    )
    _patient_profile_validate(profile)
    limit = max_patient_profiles_per_account()
    if PatientProfile.objects.filter(account_id=account.pk).count() >= limit:
        raise DomainError(
            _("An account can act for at most %(limit)d people.") % {"limit": limit},
            code="too_many_patient_profiles",
        )
    _patient_profile_check_unique(profile)
    _patient_profile_save(profile, update_fields=None)
    access_log_record(
        actor=account,
        patient_id=profile.pk,
        object_type="accounts.patientprofile",
        object_id=profile.pk,
        action="create",
    )
    logger.info(
        "patient profile created",
        extra={"patient_profile_id": profile.pk, "account_id": account.pk},
    )
    return profile


@transaction.atomic
def patient_profile_update(*, account: User, profile_id: int, **fields: Any) -> PatientProfile:
    """Changes some of a profile's fields; `is_archived=True` archives it (never deleted),
    `is_archived=False` restores it. Another account's profile is NotFound."""
    unknown = set(fields) - PATIENT_PROFILE_EDITABLE_FIELDS
    if unknown:
        raise DomainError(
            _("These fields cannot be changed: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))},
            code="not_editable",
        )
    profile = (
        PatientProfile.objects.select_for_update()
        .filter(account_id=account.pk, pk=profile_id)
        .first()
    )
    if profile is None:
        raise NotFound(_("No such patient profile."))
    changed = [name for name, value in fields.items() if getattr(profile, name) != value]
    if not changed:
        return profile
    for name in changed:
        value = fields[name]
        setattr(profile, name, "" if name == "phone" and value is None else value)
    _patient_profile_validate(profile)
    _patient_profile_check_unique(profile)
    _patient_profile_save(profile, update_fields=[*changed, "updated_at"])
    access_log_record(
        actor=account,
        patient_id=profile.pk,
        object_type="accounts.patientprofile",
        object_id=profile.pk,
        action="update",
        detail=",".join(changed),
    )
    logger.info(
        "patient profile updated",
        extra={"patient_profile_id": profile.pk, "account_id": account.pk, "fields": changed},
    )
    return profile


def _session_store(session_key: str) -> SessionBase:
    store: SessionBase = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)
    return store


def account_session_record(*, user: User, session_key: str) -> None:
    """Ties a session that has just signed in to its account (see AccountSession)."""
    AccountSession.objects.update_or_create(
        session_key=session_key, defaults={"user": user, "signed_in_at": timezone.now()}
    )
    # Rows of sessions that have expired by themselves: none outlives SESSION_COOKIE_AGE.
    oldest = timezone.now() - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    AccountSession.objects.filter(user=user, signed_in_at__lt=oldest).delete()


def account_sessions_end(*, user_id: int, except_session_key: str | None = None) -> int:
    """Signs the account out everywhere: every browser session and app session token it holds
    stops working at once (deleted from the cache and the database). Called on logout, on a
    password change and when the account is disabled (accounts.signals). Returns how many."""
    sessions = AccountSession.objects.filter(user_id=user_id)
    if except_session_key:
        sessions = sessions.exclude(session_key=except_session_key)
    session_keys = list(sessions.values_list("session_key", flat=True))
    for session_key in session_keys:
        _session_store(session_key).delete(session_key)
    AccountSession.objects.filter(session_key__in=session_keys).delete()
    if session_keys:
        logger.info(
            "account sessions ended", extra={"account_id": user_id, "sessions": len(session_keys)}
        )
    return len(session_keys)


def user_deactivate(*, user: User) -> User:
    """Disables an account: it can no longer sign in, and its sessions end (accounts.signals)."""
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    logger.info("account disabled", extra={"account_id": user.pk})
    return user


def login_attempt_begin(*, email: str, client_address: str) -> None:
    """Counts an attempt to log in as `email` from `client_address`, before its password is
    checked; raises LoginLocked once LOGIN_FAILURE_LIMIT attempts have not succeeded.

    Counting before checking, in one locked row, is what makes the limit hold under
    concurrency: simultaneous attempts queue on the row, and only the first
    LOGIN_FAILURE_LIMIT ever reach the password check. A success removes the row
    (login_attempt_succeeded); attempts LOGIN_LOCKOUT_DURATION apart start counting again."""
    now = timezone.now()
    with transaction.atomic():
        # Makes sure the row exists without an error when a concurrent attempt creates it.
        LoginLockout.objects.bulk_create(
            [LoginLockout(email=email, client_address=client_address)], ignore_conflicts=True
        )
        lockout = LoginLockout.objects.select_for_update().get(
            email=email, client_address=client_address
        )
        if lockout.locked_until is not None and lockout.locked_until > now:
            raise LoginLocked(locked_until=lockout.locked_until)
        if lockout.locked_until is not None or (
            lockout.last_attempt_at is not None
            and now - lockout.last_attempt_at > settings.LOGIN_LOCKOUT_DURATION
        ):
            lockout.attempts, lockout.locked_until = 0, None
        lockout.attempts += 1
        lockout.last_attempt_at = now
        if lockout.attempts >= settings.LOGIN_FAILURE_LIMIT:
            # Locked from this attempt on, unless it is the one that succeeds.
            lockout.locked_until = now + settings.LOGIN_LOCKOUT_DURATION
        lockout.save(update_fields=["attempts", "last_attempt_at", "locked_until"])
    if lockout.locked_until is not None:
        logger.warning("login attempts reached the limit", extra={"client_address": client_address})


def login_attempt_succeeded(*, email: str, client_address: str) -> None:
    LoginLockout.objects.filter(email=email, client_address=client_address).delete()
