"""Duty rosters of full-time doctors: only a full-time doctor on duty now serves the 24×7
quick-consult queue."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import DomainError, NotAllowed
from hospital.doctors.models import DoctorProfile, DutyShift

# A shift longer than this is a typing error (a month instead of a day), not a roster.
LONGEST_SHIFT = dt.timedelta(hours=24)


def duty_shifts_covering(*, at: dt.datetime | None = None) -> QuerySet[DutyShift]:
    at = at or timezone.now()
    return DutyShift.objects.filter(starts_at__lte=at, ends_at__gt=at)


def doctor_is_on_duty(*, doctor: DoctorProfile, at: dt.datetime | None = None) -> bool:
    return (
        doctor.tier == DoctorProfile.Tier.FULL_TIME
        and duty_shifts_covering(at=at).filter(doctor=doctor).exists()
    )


def doctor_check_on_duty(*, doctor: DoctorProfile, at: dt.datetime | None = None) -> None:
    """Refuses a doctor who may not serve the quick-consult queue at this moment."""
    if doctor.tier != DoctorProfile.Tier.FULL_TIME:
        raise NotAllowed(_("Quick consults are answered by full-time doctors on duty."))
    if not doctor_is_on_duty(doctor=doctor, at=at):
        raise NotAllowed(
            _("You are not on duty now: quick consults are answered by the doctors on duty.")
        )


def doctors_on_duty(*, at: dt.datetime | None = None) -> QuerySet[DoctorProfile]:
    """Full-time doctors on duty at this moment."""
    shifts = duty_shifts_covering(at=at)
    return DoctorProfile.objects.filter(
        tier=DoctorProfile.Tier.FULL_TIME, pk__in=shifts.values("doctor_id"), is_suspended=False
    ).select_related("department")


def duty_shift_problems(
    *, doctor: DoctorProfile, starts_at: dt.datetime, ends_at: dt.datetime, exclude_id=None
) -> dict[str, str]:
    """What is wrong with a shift, by field (empty when it may be rostered)."""
    problems: dict[str, str] = {}
    if doctor.tier != DoctorProfile.Tier.FULL_TIME:
        problems["doctor"] = _("Only full-time doctors are rostered for the 24×7 service.")
    if ends_at <= starts_at:
        problems["ends_at"] = _("A shift ends after it starts.")
    elif ends_at - starts_at > LONGEST_SHIFT:
        problems["ends_at"] = _("A shift lasts at most 24 hours.")
    overlapping = DutyShift.objects.filter(
        doctor=doctor, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exclude(pk=exclude_id)
    if "ends_at" not in problems and overlapping.exists():
        problems["starts_at"] = _("This doctor already has a shift at this time.")
    return problems


@transaction.atomic
def duty_shift_add(
    *, doctor: DoctorProfile, starts_at: dt.datetime, ends_at: dt.datetime, note: str = ""
) -> DutyShift:
    # The doctor row is locked so two operators adding shifts at once cannot overlap them.
    DoctorProfile.objects.select_for_update().filter(pk=doctor.pk).first()
    problems = duty_shift_problems(doctor=doctor, starts_at=starts_at, ends_at=ends_at)
    if problems:
        field, message = next(iter(problems.items()))
        raise DomainError(message, field=field)
    return DutyShift.objects.create(
        doctor=doctor, starts_at=starts_at, ends_at=ends_at, note=note[:200]
    )


def duty_shifts_copy_to_next_week(*, shift_ids: list[int]) -> int:
    """Each shift again one week later, unless that time is already rostered."""
    copied = 0
    for shift in DutyShift.objects.filter(pk__in=shift_ids).select_related("doctor"):
        try:
            duty_shift_add(
                doctor=shift.doctor,
                starts_at=shift.starts_at + dt.timedelta(days=7),
                ends_at=shift.ends_at + dt.timedelta(days=7),
                note=shift.note,
            )
        except DomainError:
            continue
        copied += 1
    return copied
