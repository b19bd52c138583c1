"""Pages of the care beyond one doctor: the inter-doctor consultation (会诊) and the referral to
a partner hospital (转诊). Thin like the API: each action calls one service; a domain error
becomes a message on the page, somebody else's object a 404."""

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

from audit.services import access_log_for_request
from core.exceptions import DomainError, NotFound
from core.forms import form_first_error
from core.pdf import pdf_page
from hospital.consultations import selectors
from hospital.consultations.models import Consultation, MdtInvitation, Referral
from hospital.consultations.referral_letter import referral_letter_response
from hospital.consultations.services import mdt as mdt_services
from hospital.consultations.services import referrals as referral_services
from hospital.doctors.selectors import doctor_profile_for_user
from hospital.rules import figure


class MdtInviteForm(forms.Form):
    doctors = forms.ModelMultipleChoiceField(
        queryset=Consultation.objects.none(),
        label=gettext_lazy("Specialists to invite"),
        widget=forms.CheckboxSelectMultiple,
    )
    question = forms.CharField(
        label=gettext_lazy("Question for the specialists"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    access_hours = forms.IntegerField(
        label=gettext_lazy("Record access (hours)"),
        min_value=1,
        help_text=gettext_lazy("Invited doctors may read the record this long, or until closed."),
    )

    def __init__(self, *args: Any, consultation: Consultation, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["doctors"].queryset = selectors.mdt_doctor_choices(  # type: ignore[attr-defined]
            consultation=consultation
        )
        self.fields["doctors"].label_from_instance = (  # type: ignore[attr-defined]
            lambda doctor: (
                f"{doctor.name} · {doctor.department.name} · {doctor.get_title_display()}"
            )
        )
        self.fields["access_hours"].initial = int(
            figure("MDT_ACCESS_DEFAULT").total_seconds() // 3600
        )


class MdtOpinionForm(forms.Form):
    opinion = forms.CharField(
        label=gettext_lazy("Your opinion"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class MdtCloseForm(forms.Form):
    conclusion = forms.CharField(
        label=gettext_lazy("Conclusion"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReferralForm(forms.Form):
    partner_department = forms.ModelChoiceField(
        queryset=Referral.objects.none(), label=gettext_lazy("Partner hospital department")
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for referral"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    clinical_summary = forms.CharField(
        label=gettext_lazy("Clinical summary"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields[
            "partner_department"
        ].queryset = selectors.partner_departments_taking_referrals()  # type: ignore[attr-defined]


class ReferralOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Referral.Outcome.choices)
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _treated_consultation(request: HttpRequest, pk: int) -> Consultation:
    """The consultation for its treating doctor; anyone else gets a 404."""
    try:
        return selectors.consultation_get_for_treating_doctor(user=request.user, consultation_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error


@login_required
def mdt_queue(request: HttpRequest) -> HttpResponse:
    doctor = doctor_profile_for_user(user=request.user)
    if doctor is None:
        raise PermissionDenied
    invitations = list(selectors.mdt_invitation_queue(doctor=doctor)[:50])
    requested = list(selectors.mdt_list_for_user(user=request.user, role="requested")[:50])
    access_log_for_request(
        request,
        patient_id=None,
        object_type="mdtconsultation",
        object_id=None,
        action="list",
        detail=f"MDT queue: {len(invitations)} invitations, {len(requested)} requested",
    )
    return render(
        request,
        "hospital/consultations/mdt_queue.html",
        {"invitations": invitations, "requested": requested},
    )


@login_required
def mdt_invite(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _treated_consultation(request, pk)
    form = MdtInviteForm(request.POST or None, consultation=consultation)
    if request.method == "POST":
        if form.is_valid():
            try:
                mdt = mdt_services.mdt_invite(
                    doctor_user=request.user,
                    consultation_id=consultation.pk,
                    doctor_ids=[d.pk for d in form.cleaned_data["doctors"]],
                    question=form.cleaned_data["question"],
                    access_hours=form.cleaned_data["access_hours"],
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("The specialists have been invited."))
                return redirect("hospital:mdt-detail", pk=mdt.pk)
        else:
            messages.error(request, form_first_error(form))
    return render(
        request,
        "hospital/consultations/mdt_invite.html",
        {
            "consultation": consultation,
            "form": form,
            "mdts": selectors.mdt_list_for_consultation(consultation=consultation),
        },
    )


@login_required
def mdt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        mdt = selectors.mdt_get_for_user(user=request.user, mdt_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    mine = next((i for i in mdt.invitations.all() if i.doctor.user_id == request.user.pk), None)
    is_treating = mdt.requested_by.user_id == request.user.pk
    is_live = mdt_services.mdt_is_live(mdt)
    access_log_for_request(
        request,
        patient_id=mdt.consultation.patient_id,
        object_type="mdtconsultation",
        object_id=mdt.pk,
        action="read",
    )
    return render(
        request,
        "hospital/consultations/mdt_detail.html",
        {
            "mdt": mdt,
            "mine": mine,
            "is_treating": is_treating,
            "is_live": is_live,
            "may_open_record": is_live
            and mine is not None
            and mine.status in MdtInvitation.WITH_ACCESS,
            "opinion_form": MdtOpinionForm(),
            "close_form": MdtCloseForm(),
        },
    )


@login_required
@require_POST
def mdt_action(request: HttpRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action", "")
    try:
        selectors.mdt_get_for_user(user=request.user, mdt_id=pk)  # another's is a 404 first
        if action == "accept":
            mdt_services.mdt_accept(doctor_user=request.user, mdt_id=pk)
            messages.success(request, _("Accepted: the patient's record is open to you."))
        elif action == "decline":
            mdt_services.mdt_decline(
                doctor_user=request.user, mdt_id=pk, reason=request.POST.get("reason", "")
            )
        elif action == "opinion":
            opinion_form = MdtOpinionForm(request.POST)
            if not opinion_form.is_valid():
                raise DomainError(form_first_error(opinion_form))
            mdt_services.mdt_opinion(
                doctor_user=request.user, mdt_id=pk, opinion=opinion_form.cleaned_data["opinion"]
            )
            messages.success(request, _("Your opinion has been sent."))
        elif action == "close":
            close_form = MdtCloseForm(request.POST)
            if not close_form.is_valid():
                raise DomainError(form_first_error(close_form))
            mdt_services.mdt_close(
                doctor_user=request.user,
                mdt_id=pk,
                conclusion=close_form.cleaned_data["conclusion"],
            )
        else:
            raise DomainError(_("Unknown action."))
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("hospital:mdt-detail", pk=pk)


@login_required
def referral_new(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _treated_consultation(request, pk)
    form = ReferralForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                referral = referral_services.referral_create(
                    doctor_user=request.user,
                    consultation_id=consultation.pk,
                    partner_department_id=form.cleaned_data["partner_department"].pk,
                    reason=form.cleaned_data["reason"],
                    clinical_summary=form.cleaned_data["clinical_summary"],
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("The referral letter is ready."))
                return redirect("hospital:referral-detail", pk=referral.pk)
        else:
            messages.error(request, form_first_error(form))
    return render(
        request,
        "hospital/consultations/referral_form.html",
        {"consultation": consultation, "form": form},
    )


@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    referrals = list(selectors.referral_list_for_user(user=request.user)[:100])
    access_log_for_request(
        request,
        patient_id=None,
        object_type="referral",
        object_id=None,
        action="list",
        detail=f"{len(referrals)} referrals",
    )
    return render(request, "hospital/consultations/referral_list.html", {"referrals": referrals})


def _referral(request: HttpRequest, pk: int) -> Referral:
    try:
        return selectors.referral_get_for_user(user=request.user, referral_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error


@login_required
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _referral(request, pk)
    is_patient = referral.patient.account_id == request.user.pk
    open_statuses = (Referral.Status.ISSUED, Referral.Status.BOOKED)
    slots = (
        list(referral_services.referral_free_slots(referral=referral)[:30])
        if is_patient and referral.status == Referral.Status.ISSUED
        else []
    )
    access_log_for_request(
        request,
        patient_id=referral.patient_id,
        object_type="referral",
        object_id=referral.pk,
        action="read",
    )
    return render(
        request,
        "hospital/consultations/referral_detail.html",
        {
            "referral": referral,
            "is_patient": is_patient,
            "slots": slots,
            "may_record_outcome": referral.status in open_statuses
            and referral_services.referral_may_record_outcome(request.user, referral),
            "may_cancel": referral.status == Referral.Status.ISSUED
            and referral.referring_doctor.user_id == request.user.pk,
            "outcome_form": ReferralOutcomeForm(),
        },
    )


@login_required
@require_POST
def referral_action(request: HttpRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action", "")
    _referral(request, pk)  # another's is a 404 whatever the action
    try:
        if action == "book":
            referral_services.referral_book(
                account=request.user, referral_id=pk, slot_id=request.POST.get("slot", "")
            )
            messages.success(request, _("Booked. Pay for the visit to confirm it."))
            return redirect("hospital:my-appointments")
        if action == "outcome":
            form = ReferralOutcomeForm(request.POST)
            if not form.is_valid():
                raise DomainError(form_first_error(form))
            referral_services.referral_record_outcome(
                actor=request.user,
                referral_id=pk,
                outcome=form.cleaned_data["outcome"],
                notes=form.cleaned_data["notes"],
            )
            messages.success(request, _("The outcome is in the patient's record."))
        elif action == "cancel":
            referral_services.referral_cancel(doctor_user=request.user, referral_id=pk)
        else:
            raise DomainError(_("Unknown action."))
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("hospital:referral-detail", pk=pk)


@login_required
@pdf_page
def referral_letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return referral_letter_response(request, _referral(request, pk))
