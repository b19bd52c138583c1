"""Reads of slots and appointments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import NotFound
from hospital.booking.models import Appointment, Slot
from hospital.doctors.models import DoctorProfile


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
    # "consultation" is the reverse of consultations' link to the appointment: the list says
    # where each booked visit is held without a query per row.
    queryset = Appointment.objects.filter(patient__account=account).select_related(
        "patient", "doctor__department", "slot", "payment", "consultation"
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-slot__starts_at", "-id")


def appointment_get_for_account(*, account: Any, appointment_id: int) -> Appointment:
    appointment = appointment_list_for_account(account=account).filter(pk=appointment_id).first()
    if appointment is None:
        raise NotFound(str(_("No such appointment.")))
    return appointment


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
