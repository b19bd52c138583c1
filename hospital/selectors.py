"""Reads of hospital, with the joins each caller needs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import NotFound
from hospital.models import Appointment, Credential, Department, DoctorProfile, DoctorService, Slot
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


def doctor_list(
    *, department: int | str | None = None, q: str = "", mode: str = ""
) -> QuerySet[DoctorProfile]:
    queryset = (
        doctors_practising()
        .select_related("department")
        .prefetch_related(
            Prefetch("services", queryset=DoctorService.objects.filter(is_active=True))
        )
    )
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


def doctor_free_slots(
    *,
    doctor: DoctorProfile,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    mode: str = "",
) -> QuerySet[Slot]:
    """Slots of the doctor that can still be booked: future, open, with a place left."""
    from django.db.models import F

    now = timezone.now()
    start = max(start or now, now)
    end = end or start + dt.timedelta(days=7)
    queryset = Slot.objects.filter(
        doctor=doctor,
        starts_at__gt=start,
        starts_at__lt=end,
        is_closed=False,
        booked_count__lt=F("capacity"),
        mode__in=doctor.services.filter(is_active=True).values("mode"),
    )
    if mode:
        queryset = queryset.filter(mode=mode)
    return queryset.order_by("starts_at", "mode", "id")


def appointment_list_for_account(*, account: Any, status: str = "") -> QuerySet[Appointment]:
    queryset = Appointment.objects.filter(patient__account=account).select_related(
        "patient", "doctor__department", "slot", "payment"
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-slot__starts_at", "-id")


def appointment_get_for_account(*, account: Any, appointment_id: int) -> Appointment:
    appointment = appointment_list_for_account(account=account).filter(pk=appointment_id).first()
    if appointment is None:
        raise NotFound(str(_("No such appointment.")))
    return appointment


def doctor_profile_for_user(*, user: Any) -> DoctorProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return DoctorProfile.objects.select_related("department").filter(user=user).first()


def doctor_upcoming_appointments(*, doctor: DoctorProfile) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(
            doctor=doctor,
            status__in=[
                Appointment.Status.CONFIRMED,
                Appointment.Status.IN_CONSULTATION,
                Appointment.Status.PENDING_PAYMENT,
            ],
            slot__ends_at__gte=timezone.now(),
        )
        .select_related("patient", "slot")
        .order_by("slot__starts_at", "id")
    )
