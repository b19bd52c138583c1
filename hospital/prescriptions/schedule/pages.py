"""Pages of the medication schedule: the patient's doses of the day with taken / skip / snooze,
the schedule's times, adherence; the treating doctor's view of a patient's adherence."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import patient_profile_list
from core.exceptions import DomainError, NotFound
from hospital.prescriptions.models import RenewalRequest
from hospital.prescriptions.schedule import selectors, services
from hospital.prescriptions.schedule.adherence import patient_adherence
from hospital.prescriptions.schedule.times import local_zone
from hospital.prescriptions.services.renewals import prescription_renewal_problem
from hospital.records.access import record_access_check
from hospital.rules import figure

SNOOZE_CHOICES = (10, 30, 60)


def _day(request: HttpRequest) -> dt.date:
    today = timezone.localtime(timezone.now(), local_zone()).date()
    try:
        return dt.date.fromisoformat(request.GET.get("date") or "") or today
    except ValueError:
        return today


@login_required
def medications_today(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    now = timezone.now()
    schedules = list(selectors.medication_schedule_list(account=request.user, day=day))
    refill_days = figure("MEDICATION_REFILL_DAYS_LEFT")
    pending = set(
        RenewalRequest.objects.filter(
            prescription_id__in=[s.prescription_item.prescription_id for s in schedules],
            status=RenewalRequest.Status.PENDING,
        ).values_list("prescription_id", flat=True)
    )
    rows = []
    for schedule in schedules:
        days_left = selectors.schedule_days_left(schedule, now=now)
        prescription = schedule.prescription_item.prescription
        rows.append(
            {
                "schedule": schedule,
                "days_left": days_left,
                "refill_due": schedule.is_chronic and days_left <= refill_days,
                "renewal_pending": prescription.pk in pending,
                "may_renew": not prescription_renewal_problem(prescription),
            }
        )
    account: Any = request.user
    adherence = []
    for profile in patient_profile_list(account=account):
        figures = patient_adherence(patient_id=profile.pk, now=now)
        if figures.drugs:
            adherence.append({"patient": profile, "adherence": figures})
    return render(
        request,
        "hospital/prescriptions/medications.html",
        {
            "day": day,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "rows": rows,
            "adherence": adherence,
            "snooze_choices": SNOOZE_CHOICES,
            "now": now,
        },
    )


def _back(request: HttpRequest) -> HttpResponse:
    day = request.POST.get("date") or ""
    target = redirect("hospital:medications")
    if day:
        target["Location"] += f"?date={day}"
    return target


@login_required
@require_POST
def dose_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    try:
        if action in ("taken", "skipped"):
            services.medication_dose_mark(account=request.user, dose_id=pk, status=action)
            messages.success(
                request, _("Marked as taken.") if action == "taken" else _("Marked as skipped.")
            )
        elif action == "snooze":
            try:
                minutes = int(request.POST.get("minutes") or 0)
            except ValueError:
                minutes = 0
            services.medication_dose_snooze(account=request.user, dose_id=pk, minutes=minutes)
            messages.success(
                request, _("We will remind you again in %(n)s minutes.") % {"n": minutes}
            )
        else:
            raise Http404
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    return _back(request)


@login_required
@require_POST
def schedule_times(request: HttpRequest, pk: int) -> HttpResponse:
    times = [value for value in request.POST.getlist("times") if value.strip()]
    try:
        services.medication_schedule_adjust_times(account=request.user, schedule_id=pk, times=times)
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The times are changed for the doses still to come."))
    return _back(request)


@login_required
def doctor_patient_adherence(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The treating doctor's view (the record's access rule decides and logs)."""
    if getattr(request.user, "doctor_profile", None) is None:
        raise Http404
    try:
        patient = record_access_check(
            user=request.user,
            patient_id=patient_id,
            action="read",
            object_type="medication_adherence",
            object_id=patient_id,
        )
    except NotFound as error:
        raise Http404(error.message) from error
    return render(
        request,
        "hospital/prescriptions/doctor_adherence.html",
        {
            "patient": patient,
            "adherence": patient_adherence(patient_id=patient.pk),
        },
    )
