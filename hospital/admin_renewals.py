"""Admin for renewal requests: operators find and watch them; only the prescribing doctor
answers one (through the services), so everything here is read-only and nothing is deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from hospital.models import RenewalRequest


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
