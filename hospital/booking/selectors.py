"""Reads of slots, appointments and expert requests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import NotFound
from hospital.booking.models import Appointment, ExpertRequest, Slot
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


@dataclass(frozen=True)
class SlotDay:
    """One local calendar day of free slots, in time order."""

    day: dt.date
    slots: list[Slot]


def doctor_free_slot_days(*, doctor: DoctorProfile, mode: str = "") -> list[SlotDay]:
    """The doctor's free slots grouped by the local day they start on, days in order, so a
    patient picks a day first and then one of its times."""
    slots = doctor_free_slots(doctor=doctor, mode=mode)
    return [
        SlotDay(day=day, slots=list(day_slots))
        for day, day_slots in groupby(slots, key=lambda s: timezone.localtime(s.starts_at).date())
    ]


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


def _expert_requests() -> QuerySet[ExpertRequest]:
    return ExpertRequest.objects.select_related(
        "patient", "expert__department", "payment", "appointment__slot"
    )


def expert_request_list_for_account(*, account: Any, status: str = "") -> QuerySet[ExpertRequest]:
    """The requests the account made, for every patient it acts for, newest first."""
    queryset = _expert_requests().filter(requested_by_id=getattr(account, "pk", None))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


def expert_request_get_for_account(*, account: Any, request_id: int) -> ExpertRequest:
    request = expert_request_list_for_account(account=account).filter(pk=request_id).first()
    if request is None:
        raise NotFound(str(_("No such request.")))
    return request


def expert_request_queue_for_assistant(
    *, user: Any, status: str = ExpertRequest.Status.WAITING
) -> QuerySet[ExpertRequest]:
    """Requests to the experts this account assists; by default those waiting, the nearest
    deadline first."""
    queryset = _expert_requests().filter(
        expert__assistants__user_id=getattr(user, "pk", None) or 0,
        expert__assistants__is_active=True,
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("confirm_by", "created_at", "id")


def expert_request_get_for_assistant(*, user: Any, request_id: int) -> ExpertRequest:
    request = expert_request_queue_for_assistant(user=user, status="").filter(pk=request_id).first()
    if request is None:
        raise NotFound(str(_("No such request.")))
    return request
