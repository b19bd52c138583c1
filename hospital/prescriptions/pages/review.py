"""Pages for pharmacist review, renewals and the patient's own prescriptions. Thin like the API:
each form calls one service; a domain error becomes a message; what is not yours is a 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.rules import is_doctor, is_pharmacist
from core.exceptions import DomainError, NotFound
from hospital.prescriptions import selectors
from hospital.prescriptions.models import FindingIntervention, Prescription, RenewalRequest
from hospital.prescriptions.services import interventions as intervention_services
from hospital.prescriptions.services import renewals as renewal_services
from hospital.prescriptions.services import review as review_services
from hospital.prescriptions.services.supply import prescription_item_remaining
from hospital.records.access import record_access_resolve
from hospital.records.selectors import patient_record_summary

# --- forms -------------------------------------------------------------------------------------


class ApproveForm(forms.Form):
    # No reason list: the review reasons are why a prescription is rejected. An approval
    # despite a flag says why in the comment.
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"), choices=Prescription.ReviewReason.choices
    )
    comment = forms.CharField(
        label=gettext_lazy("What the doctor should change"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RenewalRequestForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note for the doctor (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RenewalDeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the patient"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- helpers -----------------------------------------------------------------------------------


def pharmacist_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_pharmacist(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _errors_to_messages(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))


# --- pharmacist --------------------------------------------------------------------------------


@pharmacist_required
def review_queue_page(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.review_queue(), 20).get_page(request.GET.get("page"))
    return render(
        request, "hospital/prescriptions/review/queue.html", {"page": page, "now": timezone.now()}
    )


@pharmacist_required
@require_POST
def review_take_next(request: HttpRequest) -> HttpResponse:
    prescription = review_services.review_queue_next(pharmacist=request.user)
    if prescription is None:
        messages.info(request, _("No prescription is waiting for review."))
        return redirect("hospital:review-queue")
    return redirect("hospital:review-detail", pk=prescription.pk)


@pharmacist_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        prescription = selectors.review_prescription_get(
            pharmacist=request.user, prescription_id=pk
        )
    except NotFound as error:
        raise Http404(error.message) from error
    summary = None
    # The record opens only through a live lease (asking without one would log a refusal for
    # every pharmacist who merely looks at a decided prescription).
    if review_services.review_record_access_grant(request.user, prescription.patient):
        try:
            patient, _reason = record_access_resolve(
                user=request.user,
                patient_id=prescription.patient_id,
                action="read",
                object_type="record",
                object_id=f"prescription:{prescription.pk}",
                allowed_reasons=frozenset({review_services.RECORD_ACCESS_REASON}),
            )
        except NotFound:
            patient = None
        if patient is not None:
            summary = patient_record_summary(patient=patient)
    holds_lease = prescription.review_lease_holder_id == request.user.pk
    return render(
        request,
        "hospital/prescriptions/review/detail.html",
        {
            "prescription": prescription,
            "summary": summary,
            "holds_lease": holds_lease,
            "own": prescription.doctor.user_id == request.user.pk,
            "can_decide": prescription.status == Prescription.Status.PENDING_REVIEW,
            # The reviewer answers each warning, during the review or right after it.
            "can_answer": prescription.status == Prescription.Status.PENDING_REVIEW
            or prescription.reviewed_by_id == request.user.pk,
            "outcomes": FindingIntervention.Outcome.choices,
            "approve_form": ApproveForm(prefix="approve"),
            "reject_form": RejectForm(prefix="reject"),
        },
    )


@pharmacist_required
@require_POST
def review_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    form: forms.Form
    if decision == "approve":
        form = ApproveForm(request.POST, prefix="approve")
    elif decision == "reject":
        form = RejectForm(request.POST, prefix="reject")
    else:
        raise Http404
    if not form.is_valid():
        _errors_to_messages(request, form)
        return redirect("hospital:review-detail", pk=pk)
    try:
        if decision == "approve":
            review_services.prescription_approve(
                pharmacist=request.user, prescription_id=pk, **form.cleaned_data
            )
            messages.success(request, _("Prescription #%(id)s approved.") % {"id": pk})
        else:
            review_services.prescription_reject(
                pharmacist=request.user, prescription_id=pk, **form.cleaned_data
            )
            messages.success(request, _("Prescription #%(id)s rejected.") % {"id": pk})
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("hospital:review-detail", pk=pk)
    return redirect("hospital:review-queue")


@pharmacist_required
@require_POST
def review_intervention(request: HttpRequest, pk: int, finding_id: int) -> HttpResponse:
    try:
        intervention_services.finding_intervention_record(
            pharmacist=request.user,
            prescription_id=pk,
            finding_id=finding_id,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", "")[: intervention_services.NOTE_MAX_LENGTH + 1],
        )
        messages.success(request, _("Your answer to the warning is recorded."))
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("hospital:review-detail", pk=pk)


@pharmacist_required
@require_POST
def review_release(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        review_services.review_lease_release(pharmacist=request.user, prescription_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    messages.info(request, _("Prescription #%(id)s is back in the queue.") % {"id": pk})
    return redirect("hospital:review-queue")


# --- patient -----------------------------------------------------------------------------------


@login_required
def my_prescriptions(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in selectors.PATIENT_VISIBLE_STATUSES:
        status = ""
    page = Paginator(
        selectors.prescription_list_for_account(account=request.user, status=status), 10
    ).get_page(request.GET.get("page"))
    rows = [
        {
            "prescription": prescription,
            "items": [
                {"item": item, "remaining": prescription_item_remaining(item=item)}
                for item in prescription.items.all()
            ],
            # Prefetched by the selector into `pending_renewals`.
            "pending_renewal": next(iter(prescription.pending_renewals), None),  # type: ignore[attr-defined]
            "renewal_problem": renewal_services.prescription_renewal_problem(prescription),
            # 去购药 is offered while the shop would still sell against it.
            "buyable": prescription.status == Prescription.Status.APPROVED
            and prescription.valid_until is not None
            and prescription.valid_until >= timezone.localdate()
            and any(prescription_item_remaining(item=item) for item in prescription.items.all()),
        }
        for prescription in page
    ]
    return render(
        request,
        "hospital/prescriptions/patient_list.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": [
                (value, label)
                for value, label in Prescription.Status.choices
                if value in selectors.PATIENT_VISIBLE_STATUSES
            ],
            "renewal_form": RenewalRequestForm(),
        },
    )


@login_required
@require_POST
def renewal_request(request: HttpRequest, pk: int) -> HttpResponse:
    form = RenewalRequestForm(request.POST)
    if not form.is_valid():
        _errors_to_messages(request, form)
        return redirect("hospital:my-prescriptions")
    try:
        renewal_services.renewal_request_create(
            account=request.user, prescription_id=pk, note=form.cleaned_data["note"]
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your doctor has been asked to renew the prescription."))
    return redirect("hospital:my-prescriptions")


# --- doctor ------------------------------------------------------------------------------------


@login_required
def renewal_queue(request: HttpRequest) -> HttpResponse:
    if not is_doctor(request.user):
        raise PermissionDenied
    status = request.GET.get("status", RenewalRequest.Status.PENDING)
    if status not in RenewalRequest.Status.values:
        status = ""
    renewals = selectors.renewal_request_list(user=request.user, status=status).filter(
        prescription__doctor__user_id=request.user.pk or 0
    )
    page = Paginator(renewals, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "hospital/prescriptions/review/renewal_queue.html",
        {
            "page": page,
            "status": status,
            "statuses": RenewalRequest.Status.choices,
            "decline_form": RenewalDeclineForm(),
        },
    )


@login_required
@require_POST
def renewal_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    try:
        if decision == "accept":
            renewal = renewal_services.renewal_request_accept(
                doctor_user=request.user, renewal_request_id=pk
            )
            messages.success(request, _("Follow-up consultation opened."))
            return redirect("hospital:consultation-detail", pk=renewal.follow_up_consultation_id)
        if decision != "decline":
            raise Http404
        # Another doctor's request is a 404 whatever the form says.
        selectors.renewal_request_get(user=request.user, renewal_request_id=pk)
        form = RenewalDeclineForm(request.POST)
        if not form.is_valid():
            _errors_to_messages(request, form)
            return redirect("hospital:renewal-queue")
        renewal_services.renewal_request_decline(
            doctor_user=request.user, renewal_request_id=pk, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Renewal request declined; the patient has been told."))
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("hospital:renewal-queue")
