"""Consultation pages: the patient's chat and visit summary, the doctor's workspace.

Thin like the API: each action calls one service; domain errors become a message on the page.
The chat polls for new messages with htmx every few seconds, from a cursor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import PatientProfile
from audit.services import access_log_for_request, access_log_nothing_read
from core.exceptions import DomainError, NotFound
from core.forms import form_first_error
from core.pdf import pdf_page
from hospital.booking import selectors as booking_selectors
from hospital.consultations import selectors as consultation_selectors
from hospital.consultations.models import Consultation, ConsultationMessage
from hospital.consultations.services import away, calls, chat, clinical, visits
from hospital.consultations.summary import summary_context, summary_pdf_response
from hospital.doctors import selectors as doctor_selectors
from hospital.doctors.models import Department
from hospital.doctors.services import doctor_practice_problems
from hospital.rules import figure


class QuickConsultForm(forms.Form):
    patient = forms.ModelChoiceField(
        queryset=PatientProfile.objects.none(), label=gettext_lazy("Patient")
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.filter(is_active=True), label=gettext_lazy("Department")
    )
    chief_complaint = forms.CharField(
        label=gettext_lazy("Your question"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, account: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = PatientProfile.objects.filter(  # type: ignore[attr-defined]
            account=account, is_archived=False
        )


class MessageForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    file = forms.FileField(
        label=gettext_lazy("Photo or PDF"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
        ),
    )


class DiagnosisForm(forms.Form):
    primary_code = forms.CharField(
        label=gettext_lazy("Primary diagnosis (ICD-10)"), max_length=10, required=False
    )
    secondary_codes = forms.CharField(
        label=gettext_lazy("Secondary diagnoses (ICD-10, comma separated)"),
        max_length=200,
        required=False,
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    advice = forms.CharField(
        label=gettext_lazy("Advice"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    follow_up_on = forms.DateField(
        label=gettext_lazy("Follow up on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class FollowUpForm(forms.Form):
    qualifies = forms.TypedChoiceField(
        label=gettext_lazy("Follow-up of a condition diagnosed offline?"),
        choices=[("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No — first visit"))],
        coerce=lambda value: value == "yes",
    )
    evidence = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Evidence documents"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000)

    def __init__(self, *args: Any, documents: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].choices = [(d.pk, str(d)) for d in documents]  # type: ignore[attr-defined]


class ReferForm(forms.Form):
    department = forms.ModelChoiceField(
        queryset=Department.objects.filter(is_active=True),
        label=gettext_lazy("Department"),
        required=False,
    )
    hospital = forms.CharField(label=gettext_lazy("Hospital"), max_length=100, required=False)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CloseForm(forms.Form):
    summary = forms.CharField(
        label=gettext_lazy("Summary for the patient"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("Rating"), choices=[(n, "★" * n) for n in range(5, 0, -1)], coerce=int
    )
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=1000, required=False)


def _consultation(request: HttpRequest, pk: int, **kwargs: Any) -> Consultation:
    try:
        return consultation_selectors.consultation_get_for_user(
            user=request.user, consultation_id=pk, **kwargs
        )
    except NotFound as error:
        raise Http404(error.message) from error


def _is_doctor_of(consultation: Consultation, user: Any) -> bool:
    return consultation.doctor is not None and consultation.doctor.user_id == user.pk


def _log_read(request: HttpRequest, consultation: Consultation, detail: str = "") -> None:
    access_log_for_request(
        request,
        patient_id=consultation.patient_id,
        object_type="consultation",
        object_id=consultation.pk,
        action="read",
        detail=detail,
    )


def attachment_response(message: ConsultationMessage) -> FileResponse:
    """The attachment with its sniffed type; browsers are told not to guess another one."""
    pdf = message.attachment_type == "application/pdf"
    extension = (message.attachment.name or "").rsplit(".", 1)[-1]
    response = FileResponse(
        message.attachment.open("rb"),
        content_type=message.attachment_type,
        as_attachment=pdf,
        filename=f"consultation-{message.consultation_id}-{message.pk}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
def consultation_list(request: HttpRequest) -> HttpResponse:
    form = QuickConsultForm(request.POST or None, account=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                consultation = visits.consultation_request_quick(
                    account=request.user,
                    patient_id=form.cleaned_data["patient"].pk,
                    department_id=form.cleaned_data["department"].pk,
                    chief_complaint=form.cleaned_data["chief_complaint"],
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                return redirect("hospital:consultation-detail", pk=consultation.pk)
        else:
            messages.error(request, form_first_error(form))
    consultations = list(consultation_selectors.consultation_list_for_user(user=request.user)[:100])
    access_log_for_request(
        request,
        patient_id=None,
        object_type="consultation",
        object_id=None,
        action="list",
        detail=f"consultations page: {len(consultations)}",
    )
    return render(
        request,
        "hospital/consultations/list.html",
        {"consultations": consultations, "form": form},
    )


@login_required
def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request, pk)
    is_doctor = _is_doctor_of(consultation, request.user)
    page = consultation_selectors.consultation_messages_after(consultation=consultation, after=0)
    away.consultation_chat_seen(consultation=consultation, user=request.user)
    context: dict[str, Any] = {
        "consultation": consultation,
        "is_doctor": is_doctor,
        "chat": page.messages,
        "cursor": page.next_cursor,
        "message_form": MessageForm(),
        "now": timezone.now(),
    }
    if consultation.mode == "phone" and consultation.status == Consultation.Status.OPEN:
        context["phone"] = calls.consultation_phone_arrangement(
            user=request.user, consultation=consultation
        )
    if is_doctor and consultation.doctor is not None:
        context["problems"] = doctor_practice_problems(doctor=consultation.doctor)
        documents = list(
            consultation_selectors.follow_up_evidence_choices(consultation=consultation)
        )
        context["diagnosis_form"] = DiagnosisForm(
            initial={
                "notes": consultation.notes,
                "advice": consultation.advice,
                "follow_up_on": consultation.follow_up_on,
            }
        )
        context["follow_up_form"] = FollowUpForm(
            documents=documents,
            initial={
                "qualifies": "yes" if consultation.qualifies_as_follow_up else "no",
                "evidence": list(consultation.follow_up_evidence.values_list("pk", flat=True)),
                "note": consultation.follow_up_note,
            },
        )
        context["refer_form"] = ReferForm()
        context["close_form"] = CloseForm()
        context["may_prescribe"] = clinical.consultation_may_prescribe(consultation)
    context["mdts"] = consultation_selectors.mdt_list_for_consultation(consultation=consultation)
    context["referrals"] = list(
        consultation.referrals.select_related("partner_department__hospital")
    )
    _log_read(request, consultation, "consultation page")
    return render(request, "hospital/consultations/detail.html", context)


@login_required
def consultation_messages(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx poll: messages after the cursor, appended out of band, and the next poller."""
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        after = 0
    consultation = _consultation(request, pk, with_diagnoses=False)
    page = consultation_selectors.consultation_messages_after(
        consultation=consultation, after=after
    )
    away.consultation_chat_seen(consultation=consultation, user=request.user)
    if page.messages:
        access_log_for_request(
            request,
            patient_id=consultation.patient_id,
            object_type="consultation_message",
            object_id=consultation.pk,
            action="list",
            detail=f"messages {page.messages[0].pk}-{page.next_cursor}",
        )
    else:
        access_log_nothing_read()
    return render(
        request,
        "hospital/consultations/_poll.html",
        {
            "consultation": consultation,
            "chat": page.messages,
            "cursor": page.next_cursor,
            "viewer_id": request.user.pk,
        },
    )


@login_required
@require_POST
def consultation_post(request: HttpRequest, pk: int) -> HttpResponse:
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            chat.consultation_post_message(
                user=request.user,
                consultation_id=pk,
                text=form.cleaned_data["text"],
                upload=form.cleaned_data["file"] or None,
            )
        except NotFound as error:
            raise Http404(error.message) from error
        except DomainError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, form_first_error(form))
    return redirect("hospital:consultation-detail", pk=pk)


@login_required
def consultation_attachment(request: HttpRequest, pk: int, message_id: int) -> HttpResponseBase:
    try:
        message = consultation_selectors.consultation_message_get_for_user(
            user=request.user, consultation_id=pk, message_id=message_id
        )
    except NotFound as error:
        raise Http404(error.message) from error
    access_log_for_request(
        request,
        patient_id=message.consultation.patient_id,
        object_type="consultation_attachment",
        object_id=message.pk,
        action="read",
    )
    return attachment_response(message)


@login_required
@require_POST
def consultation_action(request: HttpRequest, pk: int) -> HttpResponse:
    """One form post per action of the consultation page; each calls one service."""
    action = request.POST.get("action", "")
    user = request.user
    target = redirect("hospital:consultation-detail", pk=pk)
    form: forms.Form
    if action != "claim":  # a waiting quick consult is claimed by a doctor not yet part of it
        _consultation(request, pk, with_diagnoses=False)
    try:
        if action == "claim":
            visits.consultation_claim(doctor_user=user, consultation_id=pk)
            messages.success(request, _("You have taken this question."))
        elif action == "cancel":
            visits.consultation_cancel(account=user, consultation_id=pk)
        elif action == "diagnoses":
            form = DiagnosisForm(request.POST)
            if not form.is_valid():
                raise DomainError(form_first_error(form))
            data = form.cleaned_data
            entries = []
            if data["primary_code"].strip():
                entries.append(clinical.DiagnosisEntry(code=data["primary_code"], is_primary=True))
            entries += [
                clinical.DiagnosisEntry(code=code)
                for code in data["secondary_codes"].replace("，", ",").split(",")
                if code.strip()
            ]
            clinical.consultation_record_diagnoses(
                doctor_user=user,
                consultation_id=pk,
                diagnoses=entries,
                notes=data["notes"],
                advice=data["advice"],
                follow_up_on=data["follow_up_on"],
            )
            messages.success(request, _("Saved."))
        elif action == "follow_up":
            consultation = _consultation(request, pk, with_diagnoses=False)
            documents = consultation_selectors.follow_up_evidence_choices(consultation=consultation)
            form = FollowUpForm(request.POST, documents=list(documents))
            if not form.is_valid():
                raise DomainError(form_first_error(form))
            clinical.consultation_assess_follow_up(
                doctor_user=user,
                consultation_id=pk,
                qualifies=form.cleaned_data["qualifies"],
                evidence_ids=form.cleaned_data["evidence"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("Saved."))
        elif action == "refer":
            form = ReferForm(request.POST)
            if not form.is_valid():
                raise DomainError(form_first_error(form))
            department = form.cleaned_data["department"]
            visits.consultation_refer(
                doctor_user=user,
                consultation_id=pk,
                reason=form.cleaned_data["reason"],
                department_id=department.pk if department else None,
                hospital=form.cleaned_data["hospital"],
            )
            messages.success(
                request, _("The patient has been referred; the consultation is closed.")
            )
        elif action == "close":
            form = CloseForm(request.POST)
            if not form.is_valid():
                raise DomainError(form_first_error(form))
            visits.consultation_close(
                doctor_user=user, consultation_id=pk, summary=form.cleaned_data["summary"]
            )
            messages.success(request, _("The consultation is closed."))
        elif action == "rate":
            form = RatingForm(request.POST)
            if not form.is_valid():
                raise DomainError(form_first_error(form))
            visits.consultation_rate(
                account=user,
                consultation_id=pk,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("Thank you for your rating."))
            return redirect("hospital:consultation-summary", pk=pk)
        elif action == "video":
            join = calls.consultation_join_video(user=user, consultation_id=pk)
            return redirect(join.join_url)
        else:
            raise DomainError(_("Unknown action."))
    except DomainError as error:
        if action == "claim":
            # The doctor is not a participant until the claim succeeds: back to the queue.
            messages.error(request, error.message)
            return redirect("hospital:doctor-consultations")
        if isinstance(error, NotFound):
            raise Http404(error.message) from error
        messages.error(request, error.message)
    return target


@login_required
@require_POST
def appointment_open(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        consultation = visits.consultation_open_for_appointment(
            actor=request.user, appointment_id=pk
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
        doctor = doctor_selectors.doctor_profile_for_user(user=request.user)
        return redirect("hospital:doctor-consultations" if doctor else "hospital:my-appointments")
    return redirect("hospital:consultation-detail", pk=consultation.pk)


@login_required
def consultation_summary(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request, pk)
    if consultation.status != Consultation.Status.CLOSED:
        raise Http404(_("The visit summary is ready once the consultation has ended."))
    context = summary_context(consultation)
    context["is_patient"] = consultation.patient.account_id == request.user.pk
    context["rating_form"] = RatingForm()
    _log_read(request, consultation, "visit summary")
    return render(request, "hospital/consultations/summary.html", context)


@login_required
@pdf_page
def consultation_summary_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request, pk)
    if consultation.status != Consultation.Status.CLOSED:
        raise Http404(_("The visit summary is ready once the consultation has ended."))
    return summary_pdf_response(request, consultation)


@login_required
def doctor_consultations(request: HttpRequest) -> HttpResponse:
    doctor = doctor_selectors.doctor_profile_for_user(user=request.user)
    if doctor is None:
        raise PermissionDenied
    if request.method == "POST":
        try:
            consultation = visits.consultation_claim_next(doctor_user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            return redirect("hospital:consultation-detail", pk=consultation.pk)
        return redirect("hospital:doctor-consultations")
    today = list(consultation_selectors.doctor_consultations_today(doctor=doctor))
    queue = (
        list(consultation_selectors.quick_consult_queue(doctor=doctor)[:50])
        if doctor.tier == doctor.Tier.FULL_TIME
        else []
    )
    upcoming = [
        a
        for a in booking_selectors.doctor_upcoming_appointments(doctor=doctor)[:50]
        if a.status == a.Status.CONFIRMED
        and timezone.localtime(a.slot.starts_at).date() == timezone.localdate()
    ]
    # 接诊 waits for the time consultation_open_for_appointment allows, and says when it is.
    open_early = figure("CONSULTATION_DOCTOR_OPEN_EARLY")
    for appointment in upcoming:
        opens_at = appointment.slot.starts_at - open_early
        appointment.consultation_opens_at = opens_at  # type: ignore[attr-defined]
    access_log_for_request(
        request,
        patient_id=None,
        object_type="consultation",
        object_id=None,
        action="list",
        detail=f"doctor workspace: {len(today)} today, {len(queue)} waiting",
    )
    return render(
        request,
        "hospital/consultations/workspace.html",
        {
            "doctor": doctor,
            "problems": doctor_practice_problems(doctor=doctor),
            "today": today,
            "queue": queue,
            "upcoming": upcoming,
            "mdt_waiting": consultation_selectors.mdt_invitation_queue(doctor=doctor).count(),
            "now": timezone.now(),
        },
    )
