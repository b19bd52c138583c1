from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import PatientProfile
from audit.services import access_log_record
from core.exceptions import DomainError
from hospital.booking import selectors
from hospital.booking.expert_pages import ExpertRequestForm
from hospital.booking.models import Appointment, ScheduleException, Slot, Weekday
from hospital.booking.services import appointments as appointment_services
from hospital.booking.services import schedules
from hospital.booking.symptoms import suggest_departments
from hospital.doctors import selectors as doctor_selectors
from hospital.doctors.models import ConsultationMode, DoctorProfile
from hospital.doctors.services import doctor_practice_problems
from hospital.rules import figure


class BookingForm(forms.Form):
    patient = forms.TypedChoiceField(label=gettext_lazy("Patient"), coerce=int)
    slot = forms.IntegerField(widget=forms.HiddenInput)
    visit_type = forms.ChoiceField(
        label=gettext_lazy("Visit type"),
        choices=Appointment.VisitType.choices,
        initial=Appointment.VisitType.FOLLOW_UP,
    )
    chief_complaint = forms.CharField(
        label=gettext_lazy("Reason for the visit"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, patients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].choices = [(p.pk, str(p)) for p in patients]


class AvailabilityForm(forms.Form):
    mode = forms.ChoiceField(label=gettext_lazy("Mode"), choices=ConsultationMode.choices)
    weekday = forms.TypedChoiceField(
        label=gettext_lazy("Weekday"), choices=Weekday.choices, coerce=int
    )
    start_time = forms.TimeField(
        label=gettext_lazy("From"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_time = forms.TimeField(
        label=gettext_lazy("To"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    slot_minutes = forms.IntegerField(
        label=gettext_lazy("Minutes per slot"), min_value=5, max_value=120, initial=15
    )
    capacity = forms.IntegerField(
        label=gettext_lazy("Patients per slot (text only)"), min_value=1, max_value=50, initial=1
    )


class ExceptionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ScheduleException.Kind.choices)
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    start_time = forms.TimeField(
        label=gettext_lazy("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_time = forms.TimeField(
        label=gettext_lazy("To"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("Mode (extra session)"),
        required=False,
        choices=[("", "—"), *ConsultationMode.choices],
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)


class CancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=200)


def symptom_check(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("symptoms", "")[:1000]
    advice = suggest_departments(text) if text.strip() else None
    return render(request, "hospital/booking/symptom_check.html", {"text": text, "advice": advice})


def _patients(user) -> list[PatientProfile]:
    if not user.is_authenticated:
        return []
    return list(PatientProfile.objects.filter(account=user, is_archived=False))


def doctor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        doctor = doctor_selectors.doctor_get(doctor_id=pk)
    except DomainError as error:
        raise Http404 from error
    patients = _patients(request.user)
    reschedule = None
    reschedule_id = doctor_selectors.id_from_text(request.GET.get("reschedule", ""))
    if request.user.is_authenticated and reschedule_id is not None:
        reschedule = Appointment.objects.filter(
            pk=reschedule_id, patient__account=request.user
        ).first()
    form = BookingForm(request.POST or None, patients=patients)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        try:
            if reschedule is not None:
                new = appointment_services.appointment_reschedule(
                    account=request.user,
                    appointment_id=reschedule.pk,
                    # Not a number: no slot has it, and the service says so.
                    slot_id=doctor_selectors.id_from_text(request.POST.get("slot", "")) or 0,
                )
                messages.success(request, _("Your appointment was moved."))
                if new.status == Appointment.Status.PENDING_PAYMENT:
                    return redirect(
                        appointment_services.appointment_pay(
                            account=request.user, appointment_id=new.pk
                        ).redirect_url
                    )
                return redirect("hospital:my-appointments")
            if form.is_valid():
                data = form.cleaned_data
                slot_mode = (
                    Slot.objects.filter(pk=data["slot"]).values_list("mode", flat=True).first()
                    or ""
                )
                appointment = appointment_services.appointment_book(
                    account=request.user,
                    patient_id=data["patient"],
                    slot_id=data["slot"],
                    mode=slot_mode,
                    visit_type=data["visit_type"],
                    chief_complaint=data["chief_complaint"],
                    doctor_id=doctor.pk,
                )
                if appointment.status == Appointment.Status.CONFIRMED:
                    return redirect("hospital:my-appointments")
                return redirect(
                    appointment_services.appointment_pay(
                        account=request.user, appointment_id=appointment.pk
                    ).redirect_url
                )
        except DomainError as error:
            messages.error(request, error.message)
    days = selectors.doctor_free_slot_days(
        doctor=doctor, mode=reschedule.mode if reschedule is not None else ""
    )
    # After a refused booking the day of the chosen time stays open with that time checked.
    chosen_slot_id = doctor_selectors.id_from_text(request.POST.get("slot", ""))
    open_day = next(
        (d.day for d in days if any(s.pk == chosen_slot_id for s in d.slots)),
        days[0].day if days else None,
    )
    return render(
        request,
        "hospital/booking/doctor_detail.html",
        {
            "doctor": doctor,
            "days": days,
            "open_day": open_day,
            "chosen_slot_id": chosen_slot_id,
            "form": form,
            "patients": patients,
            "reschedule": reschedule,
            "expert_form": ExpertRequestForm(
                patients=patients, modes=[service.mode for service in doctor.services.all()]
            )
            # Offered only while someone is there to confirm it.
            if doctor.tier == DoctorProfile.Tier.EXPERT
            and doctor.assistants.filter(is_active=True).exists()
            else None,
        },
    )


@login_required
def my_appointments(request: HttpRequest) -> HttpResponse:
    appointments = list(selectors.appointment_list_for_account(account=request.user)[:100])
    # The window in which the patient may enter the consultation, as the consultation service
    # enforces it, so the page says when it opens instead of offering a button that refuses.
    join_early, join_grace = figure("CONSULTATION_JOIN_EARLY"), figure("CONSULTATION_JOIN_GRACE")
    for appointment in appointments:
        opens_at = appointment.slot.starts_at - join_early
        appointment.consultation_opens_at = opens_at  # type: ignore[attr-defined]
        until = appointment.slot.ends_at + join_grace
        appointment.consultation_joinable_until = until  # type: ignore[attr-defined]
    return render(
        request,
        "hospital/booking/my_appointments.html",
        {
            "appointments": appointments,
            "now": timezone.now(),
            "cancellable": {Appointment.Status.PENDING_PAYMENT, Appointment.Status.CONFIRMED},
        },
    )


@login_required
@require_POST
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        appointment = appointment_services.appointment_cancel(
            actor=request.user, appointment_id=pk, reason=reason
        )
    except DomainError as error:
        if error.status_code == 404:
            raise Http404 from error
        messages.error(request, error.message)
    else:
        if appointment.refund_amount:
            messages.success(
                request,
                _("Cancelled. ¥%(amount)s will be refunded.")
                % {"amount": appointment.refund_amount},
            )
        else:
            messages.success(request, _("Cancelled."))
    if appointment_is_doctors(request, pk):
        return redirect("hospital:doctor-schedule")
    return redirect("hospital:my-appointments")


def appointment_is_doctors(request: HttpRequest, pk: int) -> bool:
    return Appointment.objects.filter(pk=pk, doctor__user_id=request.user.pk or 0).exists()


@login_required
@require_POST
def appointment_pay(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        started = appointment_services.appointment_pay(account=request.user, appointment_id=pk)
    except DomainError as error:
        if error.status_code == 404:
            raise Http404 from error
        messages.error(request, error.message)
        return redirect("hospital:my-appointments")
    return redirect(started.redirect_url)


@login_required
def doctor_schedule(request: HttpRequest) -> HttpResponse:
    doctor = doctor_selectors.doctor_profile_for_user(user=request.user)
    if doctor is None:
        raise PermissionDenied
    availability_form = AvailabilityForm(prefix="a")
    exception_form = ExceptionForm(prefix="e")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add_availability":
                availability_form = AvailabilityForm(request.POST, prefix="a")
                if availability_form.is_valid():
                    schedules.availability_add(doctor=doctor, **availability_form.cleaned_data)
                    messages.success(request, _("Session added; its slots open shortly."))
                    return redirect("hospital:doctor-schedule")
            elif action == "remove_availability":
                schedules.availability_remove(
                    doctor=doctor,
                    availability_id=doctor_selectors.id_from_text(
                        request.POST.get("availability", "")
                    )
                    or 0,
                )
                return redirect("hospital:doctor-schedule")
            elif action == "add_exception":
                exception_form = ExceptionForm(request.POST, prefix="e")
                if exception_form.is_valid():
                    schedules.exception_add(doctor=doctor, **exception_form.cleaned_data)
                    messages.success(request, _("Schedule updated."))
                    return redirect("hospital:doctor-schedule")
        except DomainError as error:
            messages.error(request, error.message)
    upcoming = list(selectors.doctor_upcoming_appointments(doctor=doctor)[:100])
    for patient_id in {a.patient_id for a in upcoming}:
        access_log_record(
            actor=request.user,
            patient_id=patient_id,
            object_type="appointment",
            object_id=None,
            action="list",
            detail="doctor schedule page",
        )
    return render(
        request,
        "hospital/booking/doctor_schedule.html",
        {
            "doctor": doctor,
            "problems": doctor_practice_problems(doctor=doctor),
            "availability": doctor.weekly_availability.filter(is_active=True),
            "exceptions": doctor.schedule_exceptions.filter(date__gte=timezone.localdate()),
            "upcoming": upcoming,
            "availability_form": availability_form,
            "exception_form": exception_form,
            "today": timezone.localdate(),
            "week_end": timezone.localdate() + dt.timedelta(days=7),
        },
    )
