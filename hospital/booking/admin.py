"""Operators' admin for schedules, slots and appointments."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.exceptions import DomainError
from hospital.booking.models import (
    Appointment,
    AppointmentEvent,
    ScheduleException,
    Slot,
    WeeklyAvailability,
)
from hospital.booking.services.appointments import appointment_cancel

# Consultations register their admin in a module of their own; importing it here is what
# makes admin autodiscovery find it.


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(admin.ModelAdmin):
    list_display = [
        "doctor",
        "weekday",
        "mode",
        "start_time",
        "end_time",
        "slot_minutes",
        "capacity",
        "is_active",
    ]
    list_filter = ["mode", "weekday", "is_active"]
    search_fields = ["doctor__name"]


@admin.register(ScheduleException)
class ScheduleExceptionAdmin(admin.ModelAdmin):
    list_display = ["doctor", "kind", "date", "start_time", "end_time", "mode"]
    list_filter = ["kind"]
    search_fields = ["doctor__name"]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["doctor", "mode", "starts_at", "capacity", "booked_count", "is_closed"]
    list_filter = ["mode", "is_closed"]
    search_fields = ["doctor__name"]
    date_hierarchy = "starts_at"
    readonly_fields = ["booked_count"]


class AppointmentEventInline(admin.TabularInline):
    model = AppointmentEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "note", "created_at"]


@admin.register(Appointment)
class AppointmentAdmin(SimpleHistoryAdmin):
    list_display = ["id", "doctor", "patient", "mode", "status", "fee", "created_at"]
    list_filter = ["status", "mode", "visit_type"]
    search_fields = ["id", "doctor__name", "patient__real_name"]
    list_select_related = ["doctor", "patient"]
    readonly_fields = [f.name for f in Appointment._meta.fields]
    inlines = [AppointmentEventInline]
    actions = ["cancel_with_refund"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Cancel the selected appointments (full refund)"))
    def cancel_with_refund(self, request, queryset):
        for appointment in queryset:
            try:
                appointment_cancel(
                    actor=request.user,
                    appointment_id=appointment.pk,
                    reason=str(_("Cancelled by the hospital")),
                )
            except DomainError as error:
                self.message_user(request, f"{appointment}: {error.message}", messages.WARNING)
