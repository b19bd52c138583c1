"""Prescription pages: the doctor's prescribing form with live decision support (htmx), the
prescription with signing, and its PDF. Thin: every write goes through the services."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import ProhibitNullCharactersValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.mfa import second_factor_verified_at
from audit.services import access_log_for_request
from core.cache import rate_limit_exceeded
from core.exceptions import DomainError, NotFound
from core.pdf import pdf_page
from core.request_context import client_ip
from hospital.consultations.models import Consultation
from hospital.consultations.services.clinical import consultation_may_prescribe
from hospital.prescriptions import selectors
from hospital.prescriptions.models import Prescription
from hospital.prescriptions.pdf import prescription_pdf_response
from hospital.prescriptions.services import prescribing, signing
from hospital.prescriptions.services.findings import dose_unit_choices_by_drug
from hospital.prescriptions.services.review import circulation_reference
from hospital.prescriptions.signature import prescription_signature_check
from hospital.rules import figure
from insurance import selectors as insurance_selectors

ITEM_ROWS = 5
FREQUENCIES = ("QD", "BID", "TID", "QID", "Q8H", "Q12H", "QN", "QOD", "QW", "PRN", "STAT")


def _int(value: str, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _decimal(value: str) -> Decimal:
    try:
        return Decimal((value or "").strip() or "0")
    except InvalidOperation:
        return Decimal(0)


def _refuse_nul(post: Any) -> None:
    """These forms hand raw posted text to the services, to queries and text columns, none of
    which can hold a NUL character (PostgreSQL refuses it): refused as Django's form fields
    refuse it."""
    for key, values in post.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            raise DomainError(str(ProhibitNullCharactersValidator.message))


def _posted_content(post: Any) -> tuple[prescribing.PrescriptionContent, list[dict[str, str]]]:
    """The form's rows as content (blank rows skipped) and as raw values to redisplay."""
    rows: list[dict[str, str]] = []
    items: list[prescribing.ItemInput] = []
    for index in range(ITEM_ROWS):
        row = {
            name: (post.get(f"{name}_{index}") or "").strip()[:300]
            for name in (
                "drug_code",
                "dose",
                "dose_unit",
                "route",
                "frequency",
                "duration_days",
                "quantity_packs",
                "instructions",
            )
        }
        row["is_important"] = "1" if post.get(f"is_important_{index}") else ""
        rows.append(row)
        if not row["drug_code"]:
            continue
        items.append(
            prescribing.ItemInput(
                drug_code=row["drug_code"],
                dose=_decimal(row["dose"]),
                dose_unit=row["dose_unit"],
                route=row["route"],
                frequency=row["frequency"],
                duration_days=max(_int(row["duration_days"]), 0),
                quantity_packs=max(_int(row["quantity_packs"]), 0),
                instructions=row["instructions"],
                is_important=bool(post.get(f"is_important_{index}")),
            )
        )
    codes = [c.strip() for c in (post.get("diagnosis_codes") or "").replace("，", ",").split(",")]
    content = prescribing.PrescriptionContent(
        items=items,
        diagnosis_codes=[c for c in codes if c],
        long_term_reason=(post.get("long_term_reason") or "").strip()[:2000],
        guardian_name=(post.get("guardian_name") or "").strip()[:50],
    )
    return content, rows


def _own_consultation(request: HttpRequest, pk: int) -> Consultation:
    consultation = Consultation.objects.select_related("doctor", "patient").filter(pk=pk).first()
    if consultation is None or consultation.doctor is None:
        raise Http404
    if consultation.doctor.user_id != request.user.pk:
        raise Http404
    return consultation


COMMON_DOSE_UNITS = ("mg", "g", "µg", "mL", "IU", "tablet", "capsule", "inhalation", "drop")


def _dose_units() -> list[str]:
    combination = {u for units in dose_unit_choices_by_drug().values() for u in units}
    return [*COMMON_DOSE_UNITS, *sorted(combination - set(COMMON_DOSE_UNITS))]


def _form_context(consultation: Consultation, rows: list[dict[str, str]], post: Any) -> dict:
    return {
        "consultation": consultation,
        "rows": rows,
        "frequencies": FREQUENCIES,
        # Read once for the five rows' drug lists, which show names and post codes.
        "drugs": list(
            selectors.formulary_search(q="").only(
                "code", "generic_name_zh", "generic_name_en", "strength"
            )
        ),
        # Suggested units, with those that say which component a combination's dose measures.
        "dose_units": _dose_units(),
        "diagnosis_codes": post.get("diagnosis_codes")
        or ", ".join(consultation.diagnoses.values_list("code", flat=True)),
        "long_term_reason": post.get("long_term_reason", ""),
        "guardian_name": post.get("guardian_name", ""),
        "may_prescribe": consultation_may_prescribe(consultation),
        "max_supply_days": figure("PRESCRIPTION_MAX_SUPPLY_DAYS"),
    }


@login_required
def prescription_new(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _own_consultation(request, pk)
    error: DomainError | None = None
    if request.method == "POST":
        content, rows = _posted_content(request.POST)
        try:
            _refuse_nul(request.POST)
            prescription = prescribing.prescription_create(
                doctor_user=request.user, consultation_id=pk, content=content
            )
        except DomainError as failure:
            error = failure
        else:
            if prescription.decision_support_checked:
                messages.success(request, _("Draft saved. Check the warnings, then sign."))
            else:
                messages.warning(
                    request,
                    _(
                        "Draft saved but not checked: decision support is unavailable. "
                        "Signing checks it again."
                    ),
                )
            return redirect("hospital:prescription-detail", pk=prescription.pk)
        post: Any = request.POST
    else:
        rows = [{} for _ in range(ITEM_ROWS)]
        post = {}
    context = _form_context(consultation, rows, post)
    context["error"] = error
    return render(
        request,
        "hospital/prescriptions/form.html",
        context,
        status=400 if error and error.status_code == 400 else 200,
    )


@login_required
@require_POST
def prescription_live_check(request: HttpRequest, pk: int) -> HttpResponse:
    """The form posts here on every change (htmx); the answer is the findings fragment."""
    _own_consultation(request, pk)
    content, _rows = _posted_content(request.POST)
    context: dict[str, Any] = {"findings": [], "error": None, "checked": False}
    if content.items:
        try:
            _refuse_nul(request.POST)
            result = prescribing.prescription_preview(
                doctor_user=request.user, consultation_id=pk, content=content
            )
        except DomainError as failure:
            context["error"] = failure
        else:
            context.update(findings=result.findings, checked=True)
    return render(request, "hospital/prescriptions/_findings.html", context)


def _visible(request: HttpRequest, pk: int) -> Prescription:
    try:
        return selectors.prescription_get_for_user(user=request.user, prescription_id=pk)
    except NotFound:
        raise Http404 from None


@login_required
def prescription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    prescription = _visible(request, pk)
    role = selectors.prescription_role(prescription=prescription, user=request.user)
    access_log_for_request(
        request,
        patient_id=prescription.patient_id,
        object_type="prescription",
        object_id=prescription.pk,
        action="read",
        detail="prescription page",
    )
    context = {
        "rx": prescription,
        "role": role,
        "items": list(prescription.items.all()),
        "findings": list(prescription.findings.all()),
        "signature": prescription_signature_check(prescription),
        "versions": selectors.prescription_versions(prescription=prescription),
        "blocked": [],
        "circulation": insurance_selectors.prescription_circulation(
            reference=circulation_reference(prescription.pk)
        ),
    }
    return render(request, "hospital/prescriptions/detail.html", context)


@login_required
@require_POST
def prescription_sign(request: HttpRequest, pk: int) -> HttpResponse:
    prescription = _visible(request, pk)
    if prescription.doctor.user_id != request.user.pk:
        raise PermissionDenied
    reasons = {
        key.removeprefix("override_"): value.strip()[:1000]
        for key in request.POST
        if key.startswith("override_") and (value := request.POST.get(key, "")).strip()
    }
    try:
        _refuse_nul(request.POST)
        signing.prescription_sign(
            doctor_user=request.user,
            prescription_id=pk,
            totp_code=(request.POST.get("totp_code") or "").strip()[:12],
            mfa_verified_at=second_factor_verified_at(request),
            override_reasons=reasons,
        )
    except DomainError as failure:
        messages.error(request, failure.message_for_people())
    else:
        messages.success(request, _("Signed. The prescription now waits for pharmacist review."))
    return redirect("hospital:prescription-detail", pk=pk)


@login_required
@require_POST
def prescription_revise(request: HttpRequest, pk: int) -> HttpResponse:
    _visible(request, pk)
    try:
        revision = signing.prescription_revise(doctor_user=request.user, prescription_id=pk)
    except DomainError as failure:
        messages.error(request, failure.message_for_people())
        return redirect("hospital:prescription-detail", pk=pk)
    return redirect("hospital:prescription-detail", pk=revision.pk)


@login_required
@pdf_page
def prescription_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return prescription_pdf_response(request, _visible(request, pk))


# A pharmacy scanning papers at the counter stays well under this; a script walking tokens
# does not.
PUBLIC_VERIFY_LIMIT = 30
PUBLIC_VERIFY_WINDOW = 60


def prescription_public_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The page a prescription's QR code opens, for anyone holding the paper (no login): is it
    genuine, unaltered, approved and still valid, and what was prescribed."""
    if rate_limit_exceeded(
        f"rx-verify:{client_ip(request)}", limit=PUBLIC_VERIFY_LIMIT, window=PUBLIC_VERIFY_WINDOW
    ):
        return render(request, "hospital/prescriptions/verify_limited.html", status=429)
    try:
        check = selectors.prescription_public_verification(token=token[:200])
    except NotFound as error:
        raise Http404(error.message) from error
    rx = check.prescription
    access_log_for_request(
        request,
        patient_id=rx.patient_id,
        object_type="prescription",
        object_id=rx.pk,
        action="read",
        detail=f"public verification: {'dispensable' if check.dispensable else 'not dispensable'}",
    )
    return render(request, "hospital/prescriptions/verify.html", {"check": check, "rx": rx})
