from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.exceptions import DomainError, NotFound
from core.forms import form_first_error
from hospital.doctors import selectors
from hospital.doctors.api import credential_scan_response
from hospital.doctors.models import ConsultationMode, Credential, DoctorProfile
from hospital.doctors.selectors import onboarding_overview
from hospital.doctors.services import doctor_apply, doctor_credential_submit
from hospital.doctors.tiers import tier_policy_list


class DoctorFilterForm(forms.Form):
    department = forms.CharField(required=False, widget=forms.HiddenInput)
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    mode = forms.ChoiceField(
        label=gettext_lazy("Mode"),
        required=False,
        choices=[("", gettext_lazy("Any mode")), *ConsultationMode.choices],
    )
    tier = forms.ChoiceField(
        label=gettext_lazy("Tier"),
        required=False,
        choices=[("", gettext_lazy("Any tier")), *DoctorProfile.Tier.choices],
    )


def doctor_list(request: HttpRequest) -> HttpResponse:
    form = DoctorFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    doctors = selectors.doctor_list(
        department=filters.get("department") or None,
        q=filters.get("q", ""),
        mode=filters.get("mode", ""),
        tier=filters.get("tier", ""),
    )[:60]
    return render(
        request,
        "hospital/doctors/doctor_list.html",
        {
            "form": form,
            "doctors": doctors,
            "departments": selectors.department_list(),
            "current_department": filters.get("department", ""),
            "tier_policies": tier_policy_list(),
        },
    )


DATE_INPUT = forms.DateInput(attrs={"type": "date"})

# Each language named in itself, as language pickers do: a reader finds their own language
# whatever language the page is in.
LANGUAGE_CHOICES = [("zh", "普通话"), ("yue", "粤语"), ("en", "English")]

# Whole sentences per mode, so each language can word them naturally (图文问诊, 电话问诊).
MODE_LABELS = {
    ConsultationMode.TEXT: (
        gettext_lazy("Offer text consultations"),
        gettext_lazy("Text consultation fee (CNY)"),
    ),
    ConsultationMode.VIDEO: (
        gettext_lazy("Offer video consultations"),
        gettext_lazy("Video consultation fee (CNY)"),
    ),
    ConsultationMode.PHONE: (
        gettext_lazy("Offer phone consultations"),
        gettext_lazy("Phone consultation fee (CNY)"),
    ),
}


class DoctorApplicationForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Full name"),
        max_length=50,
        help_text=gettext_lazy("As on your certificates."),
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"), queryset=selectors.department_list()
    )
    title = forms.ChoiceField(
        label=gettext_lazy("Professional title"), choices=DoctorProfile.Title.choices
    )
    tier = forms.ChoiceField(
        label=gettext_lazy("How you would work with us"),
        choices=DoctorProfile.Tier.choices,
        help_text=gettext_lazy("Our operators may place you in another tier."),
    )
    years_of_practice = forms.IntegerField(
        label=gettext_lazy("Years of practice"), min_value=0, max_value=70
    )
    specialties = forms.CharField(label=gettext_lazy("Specialties"), max_length=300, required=False)
    bio = forms.CharField(
        label=gettext_lazy("About you"), max_length=2000, required=False, widget=forms.Textarea
    )
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages you consult in"),
        choices=LANGUAGE_CHOICES,
        initial=["zh"],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for mode in ConsultationMode:
            offer_label, fee_label = MODE_LABELS[mode]
            self.fields[f"offer_{mode.value}"] = forms.BooleanField(
                label=offer_label, required=False
            )
            self.fields[f"fee_{mode.value}"] = forms.DecimalField(
                label=fee_label,
                max_digits=8,
                decimal_places=2,
                min_value=0,
                required=False,
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        services = []
        for mode in ConsultationMode:
            if not cleaned.get(f"offer_{mode.value}"):
                continue
            fee = cleaned.get(f"fee_{mode.value}")
            if fee is None:
                self.add_error(f"fee_{mode.value}", _("Enter the fee for this mode."))
            else:
                services.append({"mode": mode.value, "fee": fee})
        if not services and not self.errors:
            raise forms.ValidationError(
                _("Offer at least one consultation mode (text, video or phone).")
            )
        cleaned["services"] = services
        return cleaned

    def mode_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"offer_{mode.value}"], self[f"fee_{mode.value}"]) for mode in ConsultationMode
        ]


class CredentialForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Certificate number"), max_length=40)
    authority = forms.CharField(label=gettext_lazy("Issuing authority"), max_length=100)
    issued_on = forms.DateField(label=gettext_lazy("Issued on"), widget=DATE_INPUT)
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        required=False,
        widget=DATE_INPUT,
        help_text=gettext_lazy("Leave empty if the certificate does not expire."),
    )
    practice_scope = forms.CharField(
        label=gettext_lazy("Practice scope"), max_length=100, required=False
    )
    registered_institution = forms.CharField(
        label=gettext_lazy("Registered institution"), max_length=100, required=False
    )
    scan = forms.FileField(
        label=gettext_lazy("Scan (PDF, JPEG or PNG, at most 10 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, data: Any = None, files: Any = None, *, kind: str, **kwargs: Any) -> None:
        # Three of these forms share the page: each kind's fields carry the kind as prefix.
        super().__init__(data, files, prefix=kind, **kwargs)
        self.kind = kind
        if kind == Credential.Kind.PRACTICE:
            self.fields["practice_scope"].required = True
            self.fields["registered_institution"].required = True
        else:
            # Only the practice certificate names a scope and an institution.
            del self.fields["practice_scope"]
            del self.fields["registered_institution"]


@login_required
def doctor_apply_page(request: HttpRequest) -> HttpResponse:
    if selectors.doctor_profile_for_user(user=request.user) is not None:
        return redirect("hospital:doctor-credentials")
    form = DoctorApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            doctor_apply(
                user=request.user,
                name=data["name"],
                department_id=data["department"].pk,
                title=data["title"],
                tier=data["tier"],
                years_of_practice=data["years_of_practice"],
                bio=data["bio"],
                specialties=data["specialties"],
                languages=data["languages"],
                services=data["services"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _(
                    "Application received. Set up two-factor authentication, then upload "
                    "your certificates."
                ),
            )
            return redirect("hospital:doctor-credentials")
    return render(request, "hospital/doctors/apply.html", {"form": form})


@login_required
def doctor_credentials_page(request: HttpRequest) -> HttpResponse:
    doctor = selectors.doctor_profile_for_user(user=request.user)
    if doctor is None:
        return redirect("hospital:doctor-apply")
    overview = onboarding_overview(doctor=doctor)
    upload_forms = {kind: CredentialForm(kind=kind) for kind in Credential.Kind.values}
    return render(
        request,
        "hospital/doctors/credentials.html",
        {
            "overview": overview,
            "rows": [(standing, upload_forms[standing.kind]) for standing in overview.kinds],
        },
    )


@login_required
@require_POST
def doctor_credential_upload(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in Credential.Kind.values:
        raise Http404
    form = CredentialForm(request.POST, request.FILES, kind=kind)
    if not form.is_valid():
        messages.error(request, form_first_error(form))
        return redirect("hospital:doctor-credentials")
    try:
        doctor_credential_submit(user=request.user, kind=kind, **form.cleaned_data)
    except NotFound:
        return redirect("hospital:doctor-apply")
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Certificate received; our operators will review it."))
    return redirect("hospital:doctor-credentials")


@login_required
def doctor_credential_scan(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        return credential_scan_response(user=request.user, credential_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
