"""Pages of expert requests: the patient's one tap on an expert's page and their list, and the
assistant's queue where a request is confirmed into a slot or declined."""

from __future__ import annotations

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
from audit.services import access_log_record
from core.exceptions import DomainError
from hospital.booking import selectors
from hospital.booking.models import Appointment, ExpertRequest
from hospital.booking.services import expert_requests
from hospital.doctors import selectors as doctor_selectors
from hospital.doctors.models import ConsultationMode
from hospital.doctors.tiers import experts_assisted_by


class ExpertRequestForm(forms.Form):
    patient = forms.TypedChoiceField(label=gettext_lazy("Patient"), coerce=int)
    mode = forms.ChoiceField(label=gettext_lazy("Mode"), choices=ConsultationMode.choices)
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
    preferred_times = forms.CharField(
        label=gettext_lazy("When would suit you?"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("For example: weekday mornings."),
    )

    def __init__(self, *args, patients=(), modes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].choices = [(p.pk, str(p)) for p in patients]
        self.fields["mode"].choices = [
            (value, label) for value, label in ConsultationMode.choices if value in set(modes)
        ]


class DeclineForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


def _error_or_404(request: HttpRequest, error: DomainError) -> None:
    if error.status_code == 404:
        raise Http404 from error
    messages.error(request, error.message)


@login_required
@require_POST
def expert_request_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The one tap on an expert's page: the request is made and the patient goes to pay."""
    try:
        doctor = doctor_selectors.doctor_get(doctor_id=pk)
    except DomainError as error:
        raise Http404 from error
    patients = PatientProfile.objects.filter(account_id=request.user.pk, is_archived=False)
    form = ExpertRequestForm(
        request.POST,
        patients=patients,
        modes=[service.mode for service in doctor.services.all()],
    )
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {errors[0]}" if label else str(errors[0]))
        return redirect("hospital:doctor-detail", pk=pk)
    data = form.cleaned_data
    try:
        created = expert_requests.expert_request_create(
            account=request.user,
            patient_id=data["patient"],
            expert_id=doctor.pk,
            mode=data["mode"],
            visit_type=data["visit_type"],
            chief_complaint=data["chief_complaint"],
            preferred_times=data["preferred_times"],
        )
        started = expert_requests.expert_request_pay(account=request.user, request_id=created.pk)
    except DomainError as error:
        _error_or_404(request, error)
        return redirect("hospital:doctor-detail", pk=pk)
    return redirect(started.redirect_url)


@login_required
def my_expert_requests(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "hospital/booking/expert_requests.html",
        {
            "expert_requests": selectors.expert_request_list_for_account(account=request.user)[
                :100
            ],
            "withdrawable": set(ExpertRequest.OPEN_STATUSES),
        },
    )


@login_required
@require_POST
def expert_request_pay(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        started = expert_requests.expert_request_pay(account=request.user, request_id=pk)
    except DomainError as error:
        _error_or_404(request, error)
        return redirect("hospital:my-expert-requests")
    return redirect(started.redirect_url)


@login_required
@require_POST
def expert_request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        withdrawn = expert_requests.expert_request_cancel(account=request.user, request_id=pk)
    except DomainError as error:
        _error_or_404(request, error)
    else:
        if withdrawn.refund_amount:
            messages.success(
                request,
                _("Withdrawn. ¥%(amount)s will be refunded.") % {"amount": withdrawn.refund_amount},
            )
        else:
            messages.success(request, _("Withdrawn."))
    return redirect("hospital:my-expert-requests")


@login_required
def assistant_queue(request: HttpRequest) -> HttpResponse:
    experts = list(experts_assisted_by(request.user))
    if not experts:
        raise PermissionDenied
    waiting = list(selectors.expert_request_queue_for_assistant(user=request.user)[:100])
    # Each expert's free slots once, offered on every request to that expert in its mode.
    free_slots = {
        expert.pk: list(selectors.doctor_free_slots(doctor=expert)[:100]) for expert in experts
    }
    for expert_request in waiting:
        expert_request.free_slots = [  # type: ignore[attr-defined]
            slot
            for slot in free_slots.get(expert_request.expert_id, [])
            if slot.mode == expert_request.mode
        ]
    for patient_id in {r.patient_id for r in waiting}:
        access_log_record(
            actor=request.user,
            patient_id=patient_id,
            object_type="expert_request",
            object_id=None,
            action="list",
            detail="assistant queue page",
        )
    recent = list(
        selectors.expert_request_queue_for_assistant(user=request.user, status="")
        .exclude(status__in=ExpertRequest.OPEN_STATUSES)
        .order_by("-decided_at", "-id")[:20]
    )
    return render(
        request,
        "hospital/booking/assistant_queue.html",
        {
            "experts": experts,
            "waiting": waiting,
            "recent": recent,
            "decline_form": DeclineForm(),
        },
    )


@login_required
@require_POST
def assistant_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    slot_id = doctor_selectors.id_from_text(request.POST.get("slot", ""))
    try:
        selectors.expert_request_get_for_assistant(user=request.user, request_id=pk)
        if slot_id is None:
            raise DomainError(_("Choose a slot."), field="slot")
        confirmed = expert_requests.expert_request_confirm(
            assistant=request.user, request_id=pk, slot_id=slot_id
        )
    except DomainError as error:
        _error_or_404(request, error)
    else:
        messages.success(
            request, _("Confirmed: appointment #%(id)s.") % {"id": confirmed.appointment_id}
        )
    return redirect("hospital:assistant-queue")


@login_required
@require_POST
def assistant_decline(request: HttpRequest, pk: int) -> HttpResponse:
    form = DeclineForm(request.POST)
    try:
        expert_requests.expert_request_decline(
            assistant=request.user,
            request_id=pk,
            reason=form.cleaned_data["reason"] if form.is_valid() else "",
        )
    except DomainError as error:
        _error_or_404(request, error)
    else:
        messages.success(request, _("Declined; the patient is refunded in full."))
    return redirect("hospital:assistant-queue")
