"""Admin for consultations: operators search and watch them; every change goes through the
services (the pages and API), so here everything is read-only and nothing can be deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from hospital.consultations.models import (
    Consultation,
    ConsultationDiagnosis,
    ConsultationEvent,
    ConsultationMessage,
)


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
