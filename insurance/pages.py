"""Insurance pages and their forms: a patient's policies with what each still covers, their
claims with the reasons for every amount, and the claims officer's review queue."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.rules import is_claims_officer
from accounts.selectors import patient_profile_list
from audit.services import access_log_for_request
from core.exceptions import DomainError
from core.forms import form_first_error
from core.pdf import html_to_pdf, pdf_attachment, pdf_page
from insurance import selectors, services
from insurance.adjudication import ClaimLine, ItemCategory
from insurance.models import Category, Claim, Plan
from insurance.reasons import reason_sentence, yuan
from insurance.services.claims import LineDecision


class PolicyForm(forms.Form):
    patient = forms.TypedChoiceField(label=gettext_lazy("Insured person"), coerce=int)
    plan = forms.ChoiceField(label=gettext_lazy("Plan"))
    member_number = forms.CharField(label=gettext_lazy("Member number"), max_length=40)
    starts_on = forms.DateField(
        label=gettext_lazy("Starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, account: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["patient"].choices = [  # type: ignore[attr-defined]
            (p.pk, p.real_name) for p in patient_profile_list(account=account)
        ]
        self.fields["plan"].choices = [  # type: ignore[attr-defined]
            (plan.code, str(plan)) for plan in Plan.objects.filter(is_active=True)
        ]


class ClaimForm(forms.Form):
    """An outside receipt, one line at a time: what a patient has on paper."""

    policy = forms.TypedChoiceField(label=gettext_lazy("Policy"), coerce=int)
    expense_reference = forms.CharField(label=gettext_lazy("Receipt number"), max_length=80)
    service_date = forms.DateField(
        label=gettext_lazy("Date of the visit or purchase"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    category = forms.ChoiceField(label=gettext_lazy("What it was"), choices=Category.choices)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200)
    diagnosis = forms.CharField(label=gettext_lazy("ICD-10 code"), max_length=10, required=False)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (¥)"), min_value=Decimal("0.01"), max_digits=10, decimal_places=2
    )
    document = forms.FileField(label=gettext_lazy("Receipt (PDF, JPEG or PNG)"))

    def __init__(self, *args: Any, account: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = [  # type: ignore[attr-defined]
            (p.pk, f"{p.patient.real_name} · {p.plan}")
            for p in selectors.policy_list(account=account)
        ]


def _refused(request: HttpRequest, error: DomainError) -> None:
    if error.status_code == 404:
        raise Http404(error.message) from error
    messages.error(request, error.message)


@login_required
def policy_list_page(request: HttpRequest) -> HttpResponse:
    form = PolicyForm(request.POST or None, account=request.user)
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, form_first_error(form))
        else:
            data = form.cleaned_data
            try:
                services.policy_add(
                    account=request.user,
                    patient_id=data["patient"],
                    plan_code=data["plan"],
                    member_number=data["member_number"],
                    starts_on=data["starts_on"],
                )
            except DomainError as error:
                _refused(request, error)
            else:
                messages.success(request, _("The policy is registered."))
                return redirect("insurance:policies")
    today = timezone.localdate()
    policies = [
        (policy, selectors.policy_eligibility(policy=policy, on=today))
        for policy in selectors.policy_list(account=request.user)
    ]
    return render(
        request,
        "insurance/policies.html",
        {
            "policies": policies,
            "grants": selectors.incentive_grant_list(account=request.user),
            "form": form,
            "yuan": yuan,
        },
    )


def _claim_rows(claim: Claim) -> list[tuple[Any, list[str]]]:
    return [
        (line, [reason_sentence(code, amount) for code, amount in line.reasons])
        for line in claim.lines.all()
    ]


@login_required
def claim_list_page(request: HttpRequest) -> HttpResponse:
    form = ClaimForm(request.POST or None, request.FILES or None, account=request.user)
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, form_first_error(form))
        else:
            data = form.cleaned_data
            line = ClaimLine(
                ref="1",
                service_date=data["service_date"],
                category=ItemCategory(data["category"]),
                code=data["category"],
                billed=int(data["amount"] * 100),
                diagnoses=(data["diagnosis"].strip().upper(),) if data["diagnosis"] else (),
            )
            try:
                claim = services.claim_submit(
                    account=request.user,
                    policy_id=data["policy"],
                    expense_reference=data["expense_reference"],
                    lines=[line],
                    descriptions={"1": data["description"]},
                    is_outside_receipt=True,
                )
                services.claim_document_add(
                    account=request.user, claim_id=claim.pk, upload=data["document"]
                )
            except DomainError as error:
                _refused(request, error)
            else:
                messages.success(request, _("Your claim is filed; we will tell you the outcome."))
                return redirect("insurance:claim", pk=claim.pk)
    claims = selectors.claim_list_for_patient(account=request.user)[:100]
    return render(request, "insurance/claims.html", {"claims": claims, "form": form})


@login_required
def claim_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        claim = selectors.claim_get(user=request.user, claim_id=pk)
    except DomainError as error:
        raise Http404(error.message) from error
    response = render(
        request,
        "insurance/claim.html",
        {
            "claim": claim,
            "rows": _claim_rows(claim),
            "eob": selectors.explanation_of_benefits(claim=claim),
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def settlement_list_page(request: HttpRequest) -> HttpResponse:
    settlements = selectors.settlement_list_for_patient(account=request.user)[:100]
    response = render(request, "insurance/settlements.html", {"settlements": settlements})
    response["Cache-Control"] = "private, no-store"
    return response


def _settlement_eob(request: HttpRequest, pk: int) -> selectors.ExplanationOfBenefits:
    try:
        settlement = selectors.settlement_get(account=request.user, settlement_id=pk)
    except DomainError as error:
        raise Http404(error.message) from error
    return selectors.explanation_of_benefits(settlement=settlement)


def _claim_eob(request: HttpRequest, pk: int) -> selectors.ExplanationOfBenefits:
    try:
        claim = selectors.claim_get(user=request.user, claim_id=pk)
    except DomainError as error:
        raise Http404(error.message) from error
    return selectors.explanation_of_benefits(claim=claim)


@login_required
def settlement_page(request: HttpRequest, pk: int) -> HttpResponse:
    eob = _settlement_eob(request, pk)
    response = render(request, "insurance/settlement.html", {"eob": eob})
    response["Cache-Control"] = "private, no-store"
    return response


def _eob_pdf_response(request: HttpRequest, eob: selectors.ExplanationOfBenefits) -> HttpResponse:
    """The EOB as a PDF, logged as an export like the other health documents."""
    pdf = html_to_pdf(render_to_string("insurance/eob_pdf.html", {"eob": eob}))
    access_log_for_request(
        request,
        patient_id=eob.patient_id,
        object_type=f"insurance.{eob.kind}",
        object_id=eob.pk,
        action="export",
        detail="explanation of benefits PDF",
    )
    return pdf_attachment(pdf, filename=f"eob-{eob.kind}-{eob.pk}.pdf", inline=True)


@login_required
@pdf_page
def settlement_eob_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _eob_pdf_response(request, _settlement_eob(request, pk))


@login_required
@pdf_page
def claim_eob_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _eob_pdf_response(request, _claim_eob(request, pk))


def _officer(request: HttpRequest) -> None:
    if not is_claims_officer(request.user):
        raise PermissionDenied


@login_required
def review_queue_page(request: HttpRequest) -> HttpResponse:
    _officer(request)
    queue = selectors.claim_review_queue()[:100]
    return render(request, "insurance/review_queue.html", {"queue": queue})


@login_required
@require_POST
def review_take_next(request: HttpRequest) -> HttpResponse:
    _officer(request)
    claim = services.claim_take_next(officer=request.user)
    if claim is None:
        messages.info(request, _("No claim is waiting for review."))
        return redirect("insurance:review-queue")
    return redirect("insurance:review-claim", pk=claim.pk)


@login_required
def review_claim_page(request: HttpRequest, pk: int) -> HttpResponse:
    _officer(request)
    try:
        claim = selectors.claim_get(user=request.user, claim_id=pk)
    except DomainError as error:
        raise Http404(error.message) from error
    if request.method == "POST":
        decisions = [
            LineDecision(
                ref=line.ref,
                decision=request.POST.get(f"decision-{line.ref}", ""),
                approved_fen=_fen(request.POST.get(f"amount-{line.ref}", "")),
                note=request.POST.get(f"note-{line.ref}", ""),
            )
            for line in claim.lines.all()
        ]
        try:
            services.claim_decide(officer=request.user, claim_id=pk, decisions=decisions)
        except DomainError as error:
            _refused(request, error)
        else:
            messages.success(request, _("The claim is decided."))
            return redirect("insurance:review-queue")
    return render(
        request, "insurance/review_claim.html", {"claim": claim, "rows": _claim_rows(claim)}
    )


def _fen(text: str) -> int | None:
    try:
        amount = Decimal(text.strip())
    except (ArithmeticError, ValueError):
        return None
    return int(amount * 100) if amount.is_finite() else None
