"""Reads of house calls, each scoped to who may see them."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from hospital.doctors.models import DoctorProfile
from hospital.housecalls.models import HouseCall, HouseCallEvent, ServiceArea, ServiceCity

S = HouseCall.Status


def _with_related(queryset: QuerySet[HouseCall]) -> QuerySet[HouseCall]:
    return queryset.select_related(
        "patient", "area__city", "department", "doctor__department", "payment"
    )


def service_area_list() -> QuerySet[ServiceArea]:
    """The districts served now, with their city (one query)."""
    return (
        ServiceArea.objects.filter(is_active=True, city__is_active=True)
        .select_related("city")
        .order_by("city__name_zh", "district_zh")
    )


def service_city_list() -> QuerySet[ServiceCity]:
    """The cities served, with their districts and departments (three queries)."""
    return (
        ServiceCity.objects.filter(is_active=True)
        .prefetch_related(
            Prefetch("areas", queryset=ServiceArea.objects.filter(is_active=True)),
            "departments",
        )
        .order_by("name_zh")
    )


def house_call_list_for_account(*, account: Any, status: str = "") -> QuerySet[HouseCall]:
    """The house calls of every patient the account acts for."""
    queryset = _with_related(HouseCall.objects.filter(patient__account=account))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


def house_call_get_for_account(*, account: Any, house_call_id: int) -> HouseCall:
    """One house call with its timeline, or NotFound (another account's is not found either)."""
    house_call = (
        _with_related(HouseCall.objects.filter(pk=house_call_id, patient__account=account))
        .prefetch_related(
            Prefetch("events", queryset=HouseCallEvent.objects.order_by("created_at", "id"))
        )
        .first()
    )
    if house_call is None:
        raise NotFound(_("No such house call."))
    return house_call


def _doctor_q(doctor: DoctorProfile) -> Q:
    offered = Q(status=S.DISPATCHED) & (
        Q(offered_to=doctor) | Q(offered_to__isnull=True, department_id=doctor.department_id)
    )
    return offered | Q(doctor=doctor)


def _offered_q(doctor: DoctorProfile) -> Q:
    """House calls offered to this doctor at some point: by name, or to their department."""
    return Q(dispatched_at__isnull=False) & (
        Q(offered_to=doctor) | Q(offered_to__isnull=True, department_id=doctor.department_id)
    )


def house_call_check_for_doctor(*, doctor: DoctorProfile, house_call_id: int) -> None:
    """NotFound unless the house call is this doctor's or was offered to them (a doctor who
    was offered one another doctor took is told so, not that it does not exist)."""
    if not HouseCall.objects.filter(
        Q(doctor=doctor) | _offered_q(doctor), pk=house_call_id
    ).exists():
        raise NotFound(_("No such house call."))


def house_call_list_for_doctor(*, doctor: DoctorProfile) -> QuerySet[HouseCall]:
    """Offers open to this doctor (named, or to their department) and the visits they took."""
    return _with_related(HouseCall.objects.filter(_doctor_q(doctor))).order_by("-created_at", "-id")


def house_call_get_for_doctor(*, doctor: DoctorProfile, house_call_id: int) -> HouseCall:
    house_call = _with_related(
        HouseCall.objects.filter(_doctor_q(doctor), pk=house_call_id)
    ).first()
    if house_call is None:
        raise NotFound(_("No such house call."))
    return house_call


def house_call_triage_queue() -> QuerySet[HouseCall]:
    """Requests waiting for the triage call or for dispatch, oldest first (operators)."""
    return _with_related(
        HouseCall.objects.filter(status__in=(S.REQUESTED, S.TRIAGED, S.DISPATCHED))
    ).order_by("created_at", "id")


def house_call_history(*, patient: Any, limit: int = 20) -> list[HouseCall]:
    """The patient's completed house calls, for the health record (one query)."""
    return list(
        HouseCall.objects.filter(patient=patient, status=S.COMPLETED)
        .select_related("doctor", "department")
        .order_by("-completed_at", "-id")[:limit]
    )
