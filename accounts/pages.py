"""The "my patients" pages and their forms: the people (就诊人) an account acts for."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from phonenumber_field.formfields import PhoneNumberField

from accounts.models import PatientProfile
from accounts.selectors import patient_profile_get, patient_profile_list
from accounts.services import patient_profile_create, patient_profile_update
from core.exceptions import DomainError, NotFound


class PatientProfileForm(forms.Form):
    relationship = forms.ChoiceField(
        label=gettext_lazy("Relationship"), choices=PatientProfile.Relationship.choices
    )
    real_name = forms.CharField(label=gettext_lazy("Real name"), max_length=50)
    sex = forms.ChoiceField(label=gettext_lazy("Sex"), choices=PatientProfile.Sex.choices)
    birth_date = forms.DateField(
        label=gettext_lazy("Birth date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    resident_id_number = forms.CharField(
        label=gettext_lazy("Resident ID number"),
        max_length=18,
        min_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone = PhoneNumberField(label=gettext_lazy("Phone"), region="CN", required=False)


class PatientProfileEditForm(PatientProfileForm):
    is_archived = forms.BooleanField(
        label=gettext_lazy("Archived"),
        required=False,
        help_text=gettext_lazy(
            "An archived person is hidden from your list and cannot be booked for."
        ),
    )


def _add_service_errors(form: forms.Form, error: ValidationError | DomainError) -> None:
    if isinstance(error, ValidationError):
        form.add_error(None, error)
    else:
        form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    profiles = patient_profile_list(account=request.user, include_archived=True)  # type: ignore[arg-type]
    return render(request, "accounts/patient_list.html", {"profiles": profiles})


@login_required
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientProfileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient_profile_create(account=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except (ValidationError, DomainError) as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, _("Patient profile added."))
            return redirect("accounts:patient_list")
    return render(request, "accounts/patient_form.html", {"form": form, "profile": None})


@login_required
def patient_edit(request: HttpRequest, profile_id: int) -> HttpResponse:
    try:
        profile = patient_profile_get(account=request.user, profile_id=profile_id)  # type: ignore[arg-type]
    except NotFound as error:
        raise Http404(error.message) from None
    initial = {name: getattr(profile, name) for name in PatientProfileEditForm.base_fields}
    form = PatientProfileEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            patient_profile_update(account=request.user, profile_id=profile.pk, **changes)  # type: ignore[arg-type]
        except (ValidationError, DomainError) as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, _("Patient profile saved."))
            return redirect("accounts:patient_list")
    return render(request, "accounts/patient_form.html", {"form": form, "profile": profile})
