"""Admin for the health record. Operators can find entries and correct a status (inactive,
entered in error); the clinical content itself is changed only by the patient or the treating
doctor through the services. Nothing can be deleted. Opening an entry is on the access log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from audit.services import access_log_record
from hospital.records.models import (
    Allergy,
    ClinicalProfile,
    Condition,
    DeviceTestSchedule,
    MedicalDocument,
    Medication,
    Reading,
)

PATIENT_SEARCH = ["patient__real_name", "patient__account__email"]


class RecordAdmin(SimpleHistoryAdmin):
    editable_fields: tuple[str, ...] = ()
    list_select_related = ["patient"]
    raw_id_fields = ["patient"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [
            f.name
            for f in self.model._meta.fields
            if f.name not in self.editable_fields and f.name != "id"
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        entry = self.model.objects.filter(pk=object_id).only("patient_id").first()
        if entry is not None:
            access_log_record(
                actor=request.user,
                patient_id=entry.patient_id,
                object_type=self.model._meta.model_name,
                object_id=object_id,
                action="update" if request.method == "POST" else "read",
                detail="admin",
            )
        return response


@admin.register(Allergy)
class AllergyAdmin(RecordAdmin):
    list_display = [
        "substance",
        "patient",
        "drug_class",
        "severity",
        "status",
        "source",
        "created_at",
    ]
    list_filter = ["status", "severity", "category", "drug_class", "source"]
    search_fields = ["substance", "reaction", *PATIENT_SEARCH]
    editable_fields = ("status",)


@admin.register(Condition)
class ConditionAdmin(RecordAdmin):
    list_display = [
        "icd10_code",
        "description",
        "patient",
        "clinical_status",
        "verification_status",
        "is_chronic",
        "created_at",
    ]
    list_filter = ["clinical_status", "verification_status", "is_chronic", "source"]
    search_fields = ["icd10_code", "description", *PATIENT_SEARCH]
    editable_fields = ("clinical_status", "verification_status", "is_chronic")


@admin.register(Medication)
class MedicationAdmin(RecordAdmin):
    list_display = ["name", "patient", "dose_text", "status", "source", "atc_code", "start_date"]
    list_filter = ["status", "source"]
    search_fields = ["name", "drug_code", "atc_code", *PATIENT_SEARCH]
    editable_fields = ("status",)


@admin.register(Reading)
class ReadingAdmin(RecordAdmin):
    list_display = ["kind", "display_value", "unit", "flag", "patient", "measured_at", "status"]
    list_filter = ["kind", "flag", "status", "source"]
    search_fields = PATIENT_SEARCH
    date_hierarchy = "measured_at"
    editable_fields = ("status",)

    @admin.display(description=_("value"))
    def display_value(self, reading: Reading) -> str:
        return reading.display_value


@admin.register(MedicalDocument)
class MedicalDocumentAdmin(RecordAdmin):
    list_display = ["kind", "hospital_name", "document_date", "patient", "content_type", "status"]
    list_filter = ["kind", "status", "content_type"]
    search_fields = ["hospital_name", "title", *PATIENT_SEARCH]
    editable_fields = ("status",)
    # The file is served only by the access-checked download view, never as a media link.
    exclude = ["file"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in super().get_readonly_fields(request, obj) if name != "file"]


@admin.register(ClinicalProfile)
class ClinicalProfileAdmin(RecordAdmin):
    list_display = [
        "patient",
        "pregnancy_status",
        "pregnancy_as_of",
        "lactation_status",
        "hepatic_impairment",
    ]
    list_filter = ["pregnancy_status", "lactation_status", "hepatic_impairment"]
    search_fields = PATIENT_SEARCH


@admin.register(DeviceTestSchedule)
class DeviceTestScheduleAdmin(admin.ModelAdmin):
    """What the doctors asked patients to measure, and when; set and stopped by the treating
    doctor (their reminders follow), so operators read them here."""

    list_display = [
        "patient",
        "kind",
        "times_of_day",
        "set_by",
        "starts_on",
        "ends_on",
        "stopped_at",
    ]
    list_filter = ["kind", ("stopped_at", admin.EmptyFieldListFilter), "starts_on"]
    search_fields = [*PATIENT_SEARCH, "set_by__name"]
    list_select_related = ["patient", "set_by"]
    raw_id_fields = ["patient", "set_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name != "id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
