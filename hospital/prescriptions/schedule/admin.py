"""Operators see patients' medication schedules and doses (read-only: the patient marks
doses, the delivery starts a schedule)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hospital.prescriptions.schedule.models import MedicationDose, MedicationSchedule


class MedicationDoseInline(admin.TabularInline):
    model = MedicationDose
    extra = 0
    can_delete = False
    fields = ("due_at", "status", "marked_at", "snoozed_until", "snooze_count")
    readonly_fields = fields
    ordering = ("due_at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MedicationSchedule)
class MedicationScheduleAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "patient",
        "drug",
        "dose_text",
        "frequency",
        "started_at",
        "ends_at",
        "is_important",
        "is_chronic",
    )
    list_filter = ("frequency", "is_important", "is_chronic")
    search_fields = ("patient__real_name", "drug__code", "drug__generic_name_zh")
    list_select_related = ("patient", "drug")
    raw_id_fields = ("patient", "prescription_item", "drug")
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "started_at"
    inlines = (MedicationDoseInline,)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MedicationDose)
class MedicationDoseAdmin(admin.ModelAdmin):
    list_display = ("id", "schedule", "due_at", "status", "marked_at", "snooze_count")
    list_filter = ("status",)
    search_fields = ("schedule__patient__real_name", "schedule__drug__code")
    list_select_related = ("schedule__patient", "schedule__drug")
    raw_id_fields = ("schedule",)
    date_hierarchy = "due_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
