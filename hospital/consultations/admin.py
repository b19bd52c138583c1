"""Admin for consultations: operators search and watch them; every change goes through the
services (the pages and API), so here everything is read-only and nothing can be deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from audit.services import access_log_record
from hospital.consultations.models import (
    Consultation,
    ConsultationDiagnosis,
    ConsultationEvent,
    ConsultationMessage,
    MdtConsultation,
    MdtEvent,
    MdtInvitation,
    PartnerDepartment,
    PartnerHospital,
    Referral,
    ReferralEvent,
)
from hospital.consultations.services.mdt import mdt_end_access
from hospital.consultations.services.referrals import referral_record_outcome


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ConsultationMessageInline(ReadOnlyInline):
    model = ConsultationMessage
    fields = readonly_fields = (
        "created_at",
        "kind",
        "sender",
        "body",
        "attachment_type",
        "attachment_size",
    )


class ConsultationDiagnosisInline(ReadOnlyInline):
    model = ConsultationDiagnosis
    fields = readonly_fields = ("code", "description", "is_primary", "recorded_by", "created_at")


class ConsultationEventInline(ReadOnlyInline):
    model = ConsultationEvent
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "note")


@admin.register(Consultation)
class ConsultationAdmin(SimpleHistoryAdmin):
    list_display = [
        "id",
        "kind",
        "mode",
        "status",
        "department",
        "doctor",
        "patient",
        "created_at",
        "opened_at",
        "closed_at",
        "outcome",
        "rating",
    ]
    list_filter = ["status", "kind", "mode", "department", "outcome", "qualifies_as_follow_up"]
    search_fields = [
        "=id",
        "patient__real_name",
        "patient__account__email",
        "doctor__name",
        "chief_complaint",
    ]
    list_select_related = ["department", "doctor", "patient"]
    date_hierarchy = "created_at"
    inlines = [ConsultationDiagnosisInline, ConsultationEventInline, ConsultationMessageInline]
    exclude = ["follow_up_evidence"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Consultation._meta.fields] + ["evidence"]

    @admin.display(description=_("evidence of the prior diagnosis"))
    def evidence(self, obj: Consultation) -> str:
        return ", ".join(str(document) for document in obj.follow_up_evidence.all())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PatientReadLoggedAdmin(SimpleHistoryAdmin):
    """An operator opening one of these reads health data: it goes in the patient's access log."""

    def patient_id_of(self, object_id: str) -> int | None:
        raise NotImplementedError

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        patient_id = self.patient_id_of(object_id) if str(object_id).isdigit() else None
        if patient_id is not None:
            access_log_record(
                actor=request.user,
                patient_id=patient_id,
                object_type=self.model._meta.model_name,
                object_id=object_id,
                action="read",
                detail="admin",
            )
        return response


class MdtInvitationInline(ReadOnlyInline):
    model = MdtInvitation
    fields = readonly_fields = (
        "doctor",
        "status",
        "created_at",
        "accepted_at",
        "answered_at",
        "declined_at",
        "opinion",
        "decline_reason",
    )


class MdtEventInline(ReadOnlyInline):
    model = MdtEvent
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "note")


@admin.register(MdtConsultation)
class MdtConsultationAdmin(PatientReadLoggedAdmin):
    """Operators watch 会诊 and may end one's record access at once; doctors do the rest."""

    list_display = [
        "id",
        "status",
        "consultation",
        "requested_by",
        "invited_doctors",
        "created_at",
        "expires_at",
        "closed_at",
    ]
    list_filter = ["status", "consultation__department", "created_at"]
    search_fields = [
        "=id",
        "=consultation__id",
        "question",
        "requested_by__name",
        "invitations__doctor__name",
        "consultation__patient__real_name",
    ]
    list_select_related = ["consultation", "requested_by"]
    date_hierarchy = "created_at"
    inlines = [MdtInvitationInline, MdtEventInline]
    actions = ["end_access"]

    def patient_id_of(self, object_id: str) -> int | None:
        return (
            MdtConsultation.objects.filter(pk=object_id)
            .values_list("consultation__patient_id", flat=True)
            .first()
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[MdtConsultation]:
        return super().get_queryset(request).prefetch_related("invitations__doctor")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in MdtConsultation._meta.fields]

    @admin.display(description=_("invited doctors"))
    def invited_doctors(self, obj: MdtConsultation) -> str:
        return "、".join(
            f"{i.doctor.name} ({i.get_status_display()})" for i in obj.invitations.all()
        )

    @admin.action(description=_("End the specialists' record access now"))
    def end_access(self, request: HttpRequest, queryset: QuerySet[MdtConsultation]) -> None:
        ended = 0
        for mdt in queryset.filter(status=MdtConsultation.Status.OPEN):
            mdt_end_access(actor=request.user, mdt_id=mdt.pk)
            ended += 1
        self.message_user(
            request, _("Access ended for %(count)s consultations.") % {"count": ended}
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PartnerDepartmentInline(admin.TabularInline):
    model = PartnerDepartment
    extra = 1
    fields = ("name", "specialty", "clinic_doctor", "phone", "is_active")
    autocomplete_fields = ["clinic_doctor"]


@admin.register(PartnerHospital)
class PartnerHospitalAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "city", "phone", "is_active"]
    list_filter = ["level", "city", "is_active"]
    search_fields = ["name", "city", "address", "departments__name"]
    inlines = [PartnerDepartmentInline]
    actions = ["stop_referrals", "take_referrals"]

    @admin.action(description=_("Stop taking referrals"))
    def stop_referrals(self, request: HttpRequest, queryset: QuerySet[PartnerHospital]) -> None:
        queryset.update(is_active=False)

    @admin.action(description=_("Take referrals again"))
    def take_referrals(self, request: HttpRequest, queryset: QuerySet[PartnerHospital]) -> None:
        queryset.update(is_active=True)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # referrals point at it: it is deactivated, never deleted


class ReferralEventInline(ReadOnlyInline):
    model = ReferralEvent
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "note")


@admin.register(Referral)
class ReferralAdmin(PatientReadLoggedAdmin):
    """Operators watch referrals and record an outcome a partner reported by phone or fax."""

    list_display = [
        "id",
        "letter",
        "status",
        "patient",
        "referring_doctor",
        "partner_department",
        "outcome",
        "created_at",
    ]
    list_filter = ["status", "outcome", "partner_department__hospital", "created_at"]
    search_fields = [
        "=id",
        "=consultation__id",
        "patient__real_name",
        "referring_doctor__name",
        "partner_department__name",
        "partner_department__hospital__name",
        "reason",
    ]
    list_select_related = ["patient", "referring_doctor", "partner_department__hospital"]
    date_hierarchy = "created_at"
    inlines = [ReferralEventInline]
    actions = ["record_seen", "record_admitted", "record_declined"]

    def patient_id_of(self, object_id: str) -> int | None:
        return Referral.objects.filter(pk=object_id).values_list("patient_id", flat=True).first()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Referral._meta.fields] + ["letter"]

    @admin.display(description=_("letter"))
    def letter(self, obj: Referral) -> str:
        url = reverse("hospital:referral-letter-pdf", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.letter_number)

    def _record(self, request: HttpRequest, queryset: QuerySet[Referral], outcome: str) -> None:
        recorded = 0
        for referral in queryset.filter(
            status__in=[Referral.Status.ISSUED, Referral.Status.BOOKED]
        ):
            referral_record_outcome(
                actor=request.user,
                referral_id=referral.pk,
                outcome=outcome,
                notes=str(_("Reported to the operators by the partner hospital.")),
            )
            recorded += 1
        self.message_user(
            request,
            _("Outcome recorded for %(count)s referrals.") % {"count": recorded},
            messages.SUCCESS,
        )

    @admin.action(description=_("Record outcome: seen in clinic"))
    def record_seen(self, request: HttpRequest, queryset: QuerySet[Referral]) -> None:
        self._record(request, queryset, Referral.Outcome.SEEN)

    @admin.action(description=_("Record outcome: admitted"))
    def record_admitted(self, request: HttpRequest, queryset: QuerySet[Referral]) -> None:
        self._record(request, queryset, Referral.Outcome.ADMITTED)

    @admin.action(description=_("Record outcome: declined by the partner"))
    def record_declined(self, request: HttpRequest, queryset: QuerySet[Referral]) -> None:
        self._record(request, queryset, Referral.Outcome.DECLINED)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
