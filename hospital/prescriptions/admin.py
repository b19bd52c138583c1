"""Admin for the formulary and prescriptions.

Operators manage the formulary (most of it comes from the curated file through
`load_formulary`; they may deactivate a drug or correct a restriction). Prescriptions are
read-only here: their content is signed, so it changes only through the doctor's services, and
nothing is ever deleted. Opening a prescription is on the access log.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from audit.services import access_log_record
from hospital.prescriptions.models import (
    FindingIntervention,
    FormularyDrug,
    Prescription,
    PrescriptionEvent,
    PrescriptionFinding,
    PrescriptionItem,
    RenewalRequest,
)
from hospital.prescriptions.signature import prescription_signature_check


class AtcGroupFilter(admin.SimpleListFilter):
    title = _("ATC group")
    parameter_name = "atc"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        groups = sorted(
            {code[:1] for code in FormularyDrug.objects.values_list("atc_code", flat=True)}
        )
        return [(g, g) for g in groups if g]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        value = self.value()
        return queryset.filter(atc_code__startswith=value) if value else queryset


@admin.register(FormularyDrug)
class FormularyDrugAdmin(SimpleHistoryAdmin):
    list_display = [
        "code",
        "generic_name_zh",
        "generic_name_en",
        "strength",
        "atc_code",
        "rx_class",
        "control_class",
        "insurance_category",
        "long_term_allowed",
        "is_active",
    ]
    list_filter = [
        "is_active",
        AtcGroupFilter,
        "rx_class",
        "control_class",
        "insurance_category",
        "long_term_allowed",
    ]
    search_fields = ["code", "generic_name_zh", "generic_name_en", "ingredients", "atc_code"]
    ordering = ["generic_name_en"]
    # The file is the source of what a drug is; the table only adds operators' switches.
    readonly_fields = [
        "code",
        "generic_name_zh",
        "generic_name_en",
        "ingredients",
        "atc_code",
        "strength",
        "strength_value",
        "strength_unit",
        "dosage_form",
        "route",
        "dose_unit",
        "pack_size",
        "pack_unit",
        "rx_class",
        "control_class",
        "adult_max_daily_dose",
        "long_term_allowed",
        "insurance_category",
        "created_at",
        "updated_at",
    ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PrescriptionItemInline(ReadOnlyInline):
    model = PrescriptionItem
    fields = readonly_fields = (
        "drug",
        "dose",
        "dose_unit",
        "route",
        "frequency",
        "duration_days",
        "quantity_packs",
        "purchased_packs",
        "instructions",
        "is_important",
    )


class PrescriptionFindingInline(ReadOnlyInline):
    model = PrescriptionFinding
    fields = readonly_fields = (
        "severity",
        "kind",
        "drug_codes",
        "message_zh",
        "message",
        "rule_id",
        "override_reason",
    )


class FindingInterventionInline(ReadOnlyInline):
    model = FindingIntervention
    fields = readonly_fields = (
        "created_at",
        "rule_id",
        "severity",
        "outcome",
        "note",
        "pharmacist",
    )


class PrescriptionEventInline(ReadOnlyInline):
    model = PrescriptionEvent
    fields = readonly_fields = (
        "created_at",
        "kind",
        "actor",
        "detail",
    )


@admin.register(Prescription)
class PrescriptionAdmin(SimpleHistoryAdmin):
    list_display = [
        "id",
        "patient",
        "doctor",
        "status",
        "version",
        "risk_rank",
        "issued_on",
        "valid_until",
        "submitted_at",
    ]
    list_filter = ["status", "risk_rank", "issued_on"]
    search_fields = [
        "=id",
        "patient__real_name",
        "patient__account__email",
        "doctor__name",
        "items__drug__code",
        "items__drug__generic_name_zh",
    ]
    list_select_related = ["patient", "doctor"]
    raw_id_fields = ["patient", "doctor", "consultation", "revision_of"]
    inlines = [
        PrescriptionItemInline,
        PrescriptionFindingInline,
        FindingInterventionInline,
        PrescriptionEventInline,
    ]
    readonly_fields = ["signature_status"]

    @admin.display(description=_("signature"))
    def signature_status(self, obj: Prescription) -> str:
        check = prescription_signature_check(obj)
        if not check.signed:
            return str(_("not signed"))
        return str(_("valid")) if check.valid else str(_("DOES NOT MATCH THE CONTENT"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*(f.name for f in Prescription._meta.fields), "signature_status"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        prescription = Prescription.objects.filter(pk=object_id).only("patient_id").first()
        if prescription is not None and response.status_code == 200:
            access_log_record(
                actor=request.user,
                patient_id=prescription.patient_id,
                object_type="prescription",
                object_id=prescription.pk,
                action="read",
                detail="admin",
            )
        return response


# Renewal requests: operators find and watch them; only the prescribing doctor answers one
# (through the services), so everything here is read-only and nothing is deleted.
@admin.register(RenewalRequest)
class RenewalRequestAdmin(SimpleHistoryAdmin):
    list_display = [
        "id",
        "prescription",
        "patient",
        "doctor_name",
        "status",
        "created_at",
        "decided_at",
    ]
    list_filter = ["status", "created_at", "prescription__doctor__department"]
    search_fields = [
        "=id",
        "=prescription__id",
        "patient__real_name",
        "patient__account__email",
        "prescription__doctor__name",
    ]
    list_select_related = ["prescription", "prescription__doctor", "patient"]
    raw_id_fields = ["prescription", "patient", "requested_by", "decided_by"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]

    @admin.display(description=_("doctor"), ordering="prescription__doctor__name")
    def doctor_name(self, renewal: RenewalRequest) -> str:
        return renewal.prescription.doctor.name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FindingIntervention)
class FindingInterventionAdmin(SimpleHistoryAdmin):
    """Pharmacists' answers to decision-support warnings, to read rule by rule (alert burden).
    Recorded only through the review; read-only here."""

    list_display = ["created_at", "rule_id", "severity", "outcome", "pharmacist", "prescription"]
    list_filter = ["outcome", "severity", "created_at"]
    search_fields = ["rule_id", "note", "pharmacist__email", "=prescription__id"]
    date_hierarchy = "created_at"
    raw_id_fields = ["finding", "prescription", "pharmacist"]
    readonly_fields = [f.name for f in FindingIntervention._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
