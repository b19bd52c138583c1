"""Health record pages: the record with its add forms and documents, who looked at it, and the
doctor's chronic-care panel. Thin like the API: each form calls one service; domain errors
become a message, and someone who may not see the patient gets a 404."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.selectors import patient_access_log, patient_profile_list
from core.exceptions import DomainError, NotFound
from core.forms import form_first_error
from hospital.records.access import (
    record_access_check,
    record_access_log,
    record_access_resolve,
    treating_doctor_user_ids,
)
from hospital.records.api.serializers import access_entry_who
from hospital.records.api.views import medical_document_response
from hospital.records.models import (
    Allergy,
    ClinicalProfile,
    DeviceTestSchedule,
    MedicalDocument,
    Reading,
)
from hospital.records.selectors import (
    chronic_panel_for_doctor,
    device_list,
    device_test_schedule_list,
    patient_record_summary,
)
from hospital.records.services import device_tests, documents, readings
from hospital.records.services import devices as services_devices
from hospital.records.services import entries as services_entries

DATE_INPUT = forms.DateInput(attrs={"type": "date"})

# --- forms -------------------------------------------------------------------------------------


class AllergyForm(forms.Form):
    substance = forms.CharField(label=gettext_lazy("Substance"), max_length=100)
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), choices=Allergy.Category.choices, initial="drug"
    )
    drug_class = forms.ChoiceField(
        label=gettext_lazy("Drug class"),
        choices=[("", "—"), *Allergy.DrugClass.choices],
        required=False,
    )
    reaction = forms.CharField(label=gettext_lazy("Reaction"), max_length=200, required=False)
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), choices=Allergy.Severity.choices)


class ConditionForm(forms.Form):
    icd10_code = forms.CharField(
        label=gettext_lazy("ICD-10 code"),
        max_length=12,
        help_text=gettext_lazy("For example E11.9 (type 2 diabetes) or I10 (hypertension)."),
    )
    onset_date = forms.DateField(label=gettext_lazy("Since"), required=False, widget=DATE_INPUT)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=2000, required=False)


class MedicationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Medicine"), max_length=150)
    dose_text = forms.CharField(
        label=gettext_lazy("Dose and frequency"), max_length=200, required=False
    )
    start_date = forms.DateField(
        label=gettext_lazy("Started on"), required=False, widget=DATE_INPUT
    )


class ReadingForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Measurement"), choices=Reading.Kind.choices)
    value = forms.DecimalField(
        label=gettext_lazy("Value"),
        max_digits=6,
        decimal_places=1,
        help_text=gettext_lazy("mmol/L, mmHg (systolic), bpm, kg or cm"),
    )
    value2 = forms.DecimalField(
        label=gettext_lazy("Diastolic (blood pressure only)"),
        max_digits=6,
        decimal_places=1,
        required=False,
    )
    measured_at = forms.DateTimeField(
        label=gettext_lazy("Measured at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=MedicalDocument.Kind.choices)
    hospital_name = forms.CharField(label=gettext_lazy("Hospital"), max_length=150)
    document_date = forms.DateField(label=gettext_lazy("Date"), widget=DATE_INPUT)
    diagnosis_codes = forms.CharField(
        label=gettext_lazy("ICD-10 diagnosis codes"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Separate several codes with commas."),
    )
    file = forms.FileField(label=gettext_lazy("File (PDF, JPEG or PNG)"))


class PregnancyForm(forms.Form):
    pregnancy_status = forms.ChoiceField(
        label=gettext_lazy("Pregnancy"), choices=ClinicalProfile.Pregnancy.choices
    )
    lactation_status = forms.ChoiceField(
        label=gettext_lazy("Breastfeeding"), choices=ClinicalProfile.Lactation.choices
    )
    expected_delivery_date = forms.DateField(
        label=gettext_lazy("Expected delivery date"), required=False, widget=DATE_INPUT
    )


class HepaticForm(forms.Form):
    hepatic_impairment = forms.ChoiceField(
        label=gettext_lazy("Hepatic impairment"),
        choices=ClinicalProfile.HepaticImpairment.choices,
    )


FORMS: dict[str, type[forms.Form]] = {
    "allergy": AllergyForm,
    "condition": ConditionForm,
    "medication": MedicationForm,
    "reading": ReadingForm,
    "document": DocumentForm,
    "pregnancy": PregnancyForm,
    "hepatic": HepaticForm,
}


def _save(kind: str, data: dict[str, Any], *, actor: Any, patient_id: int) -> None:
    if kind == "allergy":
        services_entries.allergy_record(actor=actor, patient_id=patient_id, **data)
    elif kind == "condition":
        services_entries.condition_record(actor=actor, patient_id=patient_id, **data)
    elif kind == "medication":
        services_entries.medication_record(actor=actor, patient_id=patient_id, **data)
    elif kind == "reading":
        readings.reading_record(actor=actor, patient_id=patient_id, **data)
    elif kind == "document":
        codes = [c.strip() for c in data.pop("diagnosis_codes", "").split(",") if c.strip()]
        documents.medical_document_upload(
            actor=actor, patient_id=patient_id, diagnosis_codes=codes, **data
        )
    elif kind in ("pregnancy", "hepatic"):
        services_entries.clinical_profile_update(actor=actor, patient_id=patient_id, **data)


# --- pages -------------------------------------------------------------------------------------


@login_required
def record_home(request: HttpRequest) -> HttpResponse:
    """The people this account keeps a record for; straight to the record when just one."""
    account: Any = request.user
    profiles = list(patient_profile_list(account=account))
    if len(profiles) == 1:
        return redirect("hospital:record", patient_id=profiles[0].pk)
    return render(request, "hospital/records/home.html", {"profiles": profiles})


@login_required
def record_overview(request: HttpRequest, patient_id: int) -> HttpResponse:
    try:
        patient = record_access_check(
            user=request.user, patient_id=patient_id, action="read", object_type="record"
        )
    except NotFound as error:
        raise Http404(error.message) from error
    summary = patient_record_summary(patient=patient)
    is_account = patient.account_id == request.user.pk
    bound = {kind: form_class(prefix=kind) for kind, form_class in FORMS.items()}
    bound["pregnancy"] = PregnancyForm(
        prefix="pregnancy",
        initial={
            "pregnancy_status": summary.clinical_profile.pregnancy_status,
            "lactation_status": summary.clinical_profile.lactation_status,
            "expected_delivery_date": summary.clinical_profile.expected_delivery_date,
        },
    )
    bound["hepatic"] = HepaticForm(
        prefix="hepatic",
        initial={"hepatic_impairment": summary.clinical_profile.hepatic_impairment},
    )
    return render(
        request,
        "hospital/records/record.html",
        {
            "patient": patient,
            "summary": summary,
            "forms": bound,
            "is_account": is_account,
            "show_pregnancy": patient.sex == patient.Sex.FEMALE,
            "devices": list(device_list(account=request.user).filter(patient=patient))
            if is_account
            else [],
            "test_schedules": list(device_test_schedule_list(patient=patient)),
            "may_set_test_schedule": not is_account
            and request.user.pk in treating_doctor_user_ids(patient_id=patient.pk),
            "test_kinds": [
                (kind, Reading.Kind(kind).label) for kind in DeviceTestSchedule.TESTABLE_KINDS
            ],
        },
    )


@login_required
@require_POST
def record_test_schedule_set(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The treating doctor sets when the patient measures; times typed as "07:00, 19:00"."""
    times = [part for part in re.split(r"[\s,，、;；]+", request.POST.get("times", "")) if part]
    try:
        device_tests.device_test_schedule_set(
            doctor_user=request.user,
            patient_id=patient_id,
            kind=request.POST.get("kind", ""),
            times=times,
            note=request.POST.get("note", ""),
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The patient will be reminded to measure at these times."))
    return redirect("hospital:record", patient_id=patient_id)


@login_required
@require_POST
def record_test_schedule_stop(
    request: HttpRequest, patient_id: int, schedule_id: int
) -> HttpResponse:
    try:
        schedule = device_tests.device_test_schedule_stop(
            doctor_user=request.user, schedule_id=schedule_id
        )
    except NotFound as error:
        raise Http404(error.message) from error
    if schedule.patient_id != patient_id:
        raise Http404
    messages.success(request, _("The measuring schedule is stopped."))
    return redirect("hospital:record", patient_id=patient_id)


@login_required
@require_POST
def record_device_pairing_code(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Shows a new pairing code for a device to enter; it works once, for ten minutes."""
    try:
        pairing, code = services_devices.device_pairing_code_create(
            actor=request.user, patient_id=patient_id
        )
    except NotFound as error:
        raise Http404(error.message) from error
    response = render(
        request,
        "hospital/records/device_pairing.html",
        {"patient": pairing.patient, "code": code, "expires_at": pairing.expires_at},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def record_device_revoke(request: HttpRequest, patient_id: int, device_id: int) -> HttpResponse:
    device = device_list(account=request.user).filter(pk=device_id, patient_id=patient_id).first()
    if device is None:
        raise Http404
    services_devices.device_revoke(actor=request.user, device_id=device.pk)
    messages.success(request, _("%(device)s can no longer send readings.") % {"device": device})
    return redirect("hospital:record", patient_id=patient_id)


@login_required
@require_POST
def record_add(request: HttpRequest, patient_id: int, kind: str) -> HttpResponse:
    form_class = FORMS.get(kind)
    if form_class is None:
        raise Http404
    try:
        # Someone who may not write here gets a 404 even for an empty form, and it is logged.
        record_access_resolve(
            user=request.user,
            patient_id=patient_id,
            action="create",
            object_type=kind,
            allowed_reasons=services_entries.WRITERS,
            log_success=False,
        )
    except NotFound as error:
        raise Http404(error.message) from error
    form = form_class(request.POST, request.FILES, prefix=kind)
    if not form.is_valid():
        messages.error(request, form_first_error(form))
        return redirect("hospital:record", patient_id=patient_id)
    try:
        _save(kind, dict(form.cleaned_data), actor=request.user, patient_id=patient_id)
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Saved to the health record."))
    return redirect("hospital:record", patient_id=patient_id)


@login_required
def record_document_download(
    request: HttpRequest, patient_id: int, document_id: int
) -> HttpResponseBase:
    try:
        return medical_document_response(
            user=request.user, patient_id=patient_id, document_id=document_id
        )
    except NotFound as error:
        raise Http404(error.message) from error


@login_required
def record_access_log_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Who looked at or changed the record, and when: for the account that acts for the
    patient only (a treating doctor does not see who else looked)."""
    try:
        entries = patient_access_log(account=request.user, patient_id=patient_id)
    except NotFound as error:
        raise Http404(error.message) from error
    page = Paginator(entries.select_related("actor__doctor_profile"), 50).get_page(
        request.GET.get("page")
    )
    rows = [(entry, access_entry_who(entry, account_id=request.user.pk)) for entry in page]
    return render(
        request,
        "hospital/records/access_log.html",
        {"patient_id": patient_id, "page": page, "rows": rows},
    )


@login_required
def chronic_care_panel(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "doctor_profile", None) is None:
        raise Http404
    rows = chronic_panel_for_doctor(doctor_user=request.user)
    for row in rows:
        record_access_log(
            user=request.user,
            patient=row.patient,
            action="list",
            object_type="chronic_panel",
            detail="treating_doctor",
        )
    return render(request, "hospital/records/chronic_care.html", {"rows": rows})


def consultation_record_panel(*, request: HttpRequest, consultation: Any) -> dict[str, Any]:
    """The patient's record on the treating doctor's side of a consultation, checked and logged
    by the record's own access rule; no record when the rule refuses."""
    try:
        patient = record_access_check(
            user=request.user,
            patient_id=consultation.patient_id,
            action="read",
            object_type="health_record",
            object_id=consultation.patient_id,
        )
    except NotFound:
        return {"record": None, "consultation": consultation}
    return {"record": patient_record_summary(patient=patient), "consultation": consultation}
