"""House-call pages: the patient's request and tracking, the visiting doctor's list.

Thin like the API: each action calls one service; domain errors become a message on the page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import PatientProfile
from audit.services import access_log_for_request
from core.exceptions import DomainError, NotFound
from core.forms import form_first_error
from hospital.doctors import selectors as doctor_selectors
from hospital.doctors.models import Department
from hospital.housecalls import selectors, services
from hospital.housecalls.models import HouseCall
from hospital.housecalls.rules import figure


class HouseCallRequestForm(forms.Form):
    patient = forms.ModelChoiceField(
        queryset=PatientProfile.objects.none(), label=gettext_lazy("Patient")
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), label=gettext_lazy("Department")
    )
    city = forms.CharField(label=gettext_lazy("City"), max_length=40)
    district = forms.CharField(label=gettext_lazy("District"), max_length=60)
    address = forms.CharField(
        label=gettext_lazy("Street address"),
        max_length=200,
        help_text=gettext_lazy("Street, building, unit and room number."),
    )
    contact_phone = forms.CharField(label=gettext_lazy("Phone for the triage call"), max_length=20)
    symptoms = forms.CharField(
        label=gettext_lazy("Symptoms"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, account: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = PatientProfile.objects.filter(  # type: ignore[attr-defined]
            account=account, is_archived=False
        )
        self.fields["department"].queryset = Department.objects.filter(  # type: ignore[attr-defined]
            is_active=True, house_call_cities__is_active=True
        ).distinct()
        self.fields["city"].widget.attrs["list"] = "house-call-cities"
        self.fields["district"].widget.attrs["list"] = "house-call-districts"


class CancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


class CompleteForm(forms.Form):
    notes = forms.CharField(
        label=gettext_lazy("Visit notes"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    advice = forms.CharField(
        label=gettext_lazy("Advice to the patient"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    diagnosis_codes = forms.CharField(
        label=gettext_lazy("Diagnoses (ICD-10, comma separated)"), max_length=200, required=False
    )


def _refund_table() -> list[tuple[str, int]]:
    """The patient's refund policy for the page: (status label, percent back)."""
    labels = dict(HouseCall.Status.choices)
    return [
        (str(labels[status]), int(share * 100))
        for status, share in figure("PATIENT_CANCEL_REFUND_SHARE").items()
        if status != HouseCall.Status.PENDING_PAYMENT
    ]


@login_required
def my_house_calls(request: HttpRequest) -> HttpResponse:
    form = HouseCallRequestForm(request.POST or None, account=request.user)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                house_call = services.house_call_request(
                    account=request.user,
                    patient_id=data["patient"].pk,
                    department_id=data["department"].pk,
                    city=data["city"],
                    district=data["district"],
                    address=data["address"],
                    contact_phone=data["contact_phone"],
                    symptoms=data["symptoms"],
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                if house_call.status == HouseCall.Status.PENDING_PAYMENT:
                    return _start_payment(request, house_call.pk)
                return redirect("hospital:house-call-detail", pk=house_call.pk)
        else:
            messages.error(request, form_first_error(form))
    house_calls = list(selectors.house_call_list_for_account(account=request.user)[:100])
    access_log_for_request(
        request,
        patient_id=None,
        object_type="house_call",
        object_id=None,
        action="list",
        detail=f"{len(house_calls)} house calls",
    )
    return render(
        request,
        "hospital/housecalls/list.html",
        {
            "form": form,
            "house_calls": house_calls,
            "cities": list(selectors.service_city_list()),
            "refund_table": _refund_table(),
        },
        status=400 if request.method == "POST" else 200,
    )


def _start_payment(request: HttpRequest, house_call_id: int) -> HttpResponse:
    try:
        started = services.house_call_pay(account=request.user, house_call_id=house_call_id)
    except DomainError as error:
        if error.status_code == 404:
            raise Http404 from error
        messages.error(request, error.message)
        return redirect("hospital:house-call-detail", pk=house_call_id)
    return redirect(started.redirect_url)


@login_required
def house_call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        house_call = selectors.house_call_get_for_account(account=request.user, house_call_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    access_log_for_request(
        request,
        patient_id=house_call.patient_id,
        object_type="house_call",
        object_id=house_call.pk,
        action="read",
    )
    return render(
        request,
        "hospital/housecalls/detail.html",
        {
            "house_call": house_call,
            "cancel_form": CancelForm(),
            "cancellable": house_call.status in HouseCall.OPEN_STATUSES,
            "refund_table": _refund_table(),
        },
    )


@login_required
@require_POST
def house_call_pay(request: HttpRequest, pk: int) -> HttpResponse:
    return _start_payment(request, pk)


@login_required
@require_POST
def house_call_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.house_call_check_party(user=request.user, house_call_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_first_error(form))
        return redirect("hospital:house-call-detail", pk=pk)
    try:
        services.house_call_cancel(
            actor=request.user, house_call_id=pk, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        if error.status_code == 404:
            raise Http404(error.message) from error
        messages.error(request, error.message)
    else:
        messages.success(request, _("The house call is cancelled."))
    if doctor_selectors.doctor_profile_for_user(user=request.user) is not None:
        return redirect("hospital:doctor-house-calls")
    return redirect("hospital:house-call-detail", pk=pk)


@login_required
def doctor_house_calls(request: HttpRequest) -> HttpResponse:
    doctor = doctor_selectors.doctor_profile_for_user(user=request.user)
    if doctor is None:
        raise PermissionDenied
    house_calls = list(selectors.house_call_list_for_doctor(doctor=doctor)[:100])
    access_log_for_request(
        request,
        patient_id=None,
        object_type="house_call",
        object_id=None,
        action="list",
        detail=f"doctor's house calls: {len(house_calls)}",
    )
    return render(
        request,
        "hospital/housecalls/doctor_list.html",
        {
            "doctor": doctor,
            "house_calls": house_calls,
            "complete_form": CompleteForm(),
            "cancel_form": CancelForm(),
        },
    )


@login_required
@require_POST
def doctor_house_call_action(request: HttpRequest, pk: int) -> HttpResponse:
    doctor = doctor_selectors.doctor_profile_for_user(user=request.user)
    if doctor is None:
        raise PermissionDenied
    action = request.POST.get("action", "")
    try:
        selectors.house_call_check_for_doctor(doctor=doctor, house_call_id=pk)
        if action == "accept":
            services.house_call_accept(doctor_user=request.user, house_call_id=pk)
        elif action == "on_the_way":
            services.house_call_set_out(doctor_user=request.user, house_call_id=pk)
        elif action == "arrived":
            services.house_call_arrive(doctor_user=request.user, house_call_id=pk)
        elif action == "complete":
            form = CompleteForm(request.POST)
            if not form.is_valid():
                messages.error(request, form_first_error(form))
                return redirect("hospital:doctor-house-calls")
            codes = [
                code.strip()
                for code in form.cleaned_data["diagnosis_codes"].replace("，", ",").split(",")
                if code.strip()
            ]
            services.house_call_complete(
                doctor_user=request.user,
                house_call_id=pk,
                notes=form.cleaned_data["notes"],
                advice=form.cleaned_data["advice"],
                diagnosis_codes=codes,
            )
        else:
            messages.error(request, _("Unknown action."))
            return redirect("hospital:doctor-house-calls")
    except DomainError as error:
        if error.status_code == 404:
            raise Http404(error.message) from error
        messages.error(request, error.message)
    else:
        messages.success(request, _("House call #%(id)s updated.") % {"id": pk})
    return redirect("hospital:doctor-house-calls")


class TriageForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome of the call"), choices=HouseCall.TriageOutcome.choices
    )
    note = forms.CharField(
        label=gettext_lazy("Triage note"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DispatchForm(forms.Form):
    eta_minutes = forms.IntegerField(
        label=gettext_lazy("ETA (minutes)"),
        min_value=figure("ETA_MINUTES_MIN"),
        max_value=figure("ETA_MINUTES_MAX"),
        initial=45,
    )


@login_required
def triage_desk(request: HttpRequest) -> HttpResponse:
    """The operators' and triage nurses' desk: requests waiting for the call or for dispatch."""
    if not services.may_triage(request.user):
        raise PermissionDenied
    if request.method == "POST":
        _triage_desk_action(request)
        return redirect("hospital:house-call-triage-desk")
    waiting = list(selectors.house_call_triage_queue()[:100])
    access_log_for_request(
        request,
        patient_id=None,
        object_type="house_call",
        object_id=None,
        action="list",
        detail=f"triage desk: {len(waiting)} waiting",
    )
    return render(
        request,
        "hospital/housecalls/triage_desk.html",
        {"house_calls": waiting, "triage_form": TriageForm(), "dispatch_form": DispatchForm()},
    )


def _triage_desk_action(request: HttpRequest) -> None:
    try:
        house_call_id = int(request.POST.get("house_call", ""))
    except ValueError:
        messages.error(request, _("No such house call."))
        return
    action = request.POST.get("action", "")
    form: forms.Form = (
        TriageForm(request.POST) if action == "triage" else DispatchForm(request.POST)
    )
    if action not in ("triage", "dispatch") or not form.is_valid():
        messages.error(request, form_first_error(form))
        return
    try:
        if action == "triage":
            services.house_call_triage(
                actor=request.user,
                house_call_id=house_call_id,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        else:
            services.house_call_dispatch(
                actor=request.user,
                house_call_id=house_call_id,
                eta_minutes=form.cleaned_data["eta_minutes"],
            )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("House call #%(id)s updated.") % {"id": house_call_id})
