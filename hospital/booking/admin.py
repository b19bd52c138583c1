"""Operators' admin for schedules, slots and appointments."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.exceptions import DomainError
from hospital.booking.models import (
    Appointment,
    AppointmentEvent,
    ExpertRequest,
    ExpertRequestEvent,
    ScheduleException,
    Slot,
    WeeklyAvailability,
)
from hospital.booking.services.appointments import appointment_cancel
from hospital.booking.services.expert_requests import expert_requests_expire

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


class ExpertRequestEventInline(admin.TabularInline):
    model = ExpertRequestEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


class PastPromiseFilter(admin.SimpleListFilter):
    title = _("promise")
    parameter_name = "promise"

    def lookups(self, request, model_admin):
        return [("overdue", _("Waiting past the promise"))]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.filter(
                status=ExpertRequest.Status.WAITING, confirm_by__lte=timezone.now()
            )
        return queryset


@admin.register(ExpertRequest)
class ExpertRequestAdmin(SimpleHistoryAdmin):
    """Requests for experts: who waits for an assistant, by when, and what became of each."""

    list_display = [
        "id",
        "expert",
        "patient",
        "mode",
        "status",
        "fee",
        "confirm_by",
        "refund_amount",
        "created_at",
    ]
    list_filter = ["status", PastPromiseFilter, "mode", "expert__department"]
    search_fields = ["id", "expert__name", "patient__real_name", "requested_by__email"]
    list_select_related = ["expert", "patient"]
    readonly_fields = [f.name for f in ExpertRequest._meta.fields]
    inlines = [ExpertRequestEventInline]
    date_hierarchy = "created_at"
    actions = ["refund_overdue"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Refund the requests waiting past their promise now"))
    def refund_overdue(self, request, queryset):
        changed = expert_requests_expire()
        self.message_user(
            request,
            _("%(count)s requests closed (refunded or lapsed).") % {"count": changed},
        )
