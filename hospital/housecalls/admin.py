"""Admin for house calls: operators keep the cities, districts, hours, fees and departments
served, and run the triage call and dispatch through actions that call the services (the same
rules as the API). A house call itself is read-only here and never deleted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.exceptions import DomainError
from hospital.housecalls import services
from hospital.housecalls.models import HouseCall, HouseCallEvent, ServiceArea, ServiceCity


class ServiceAreaInline(admin.TabularInline):
    model = ServiceArea
    extra = 0
    fields = ["district_zh", "district_en", "opens_at", "closes_at", "fee", "is_active"]
    can_delete = False


@admin.register(ServiceCity)
class ServiceCityAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "name_en", "is_active", "district_count"]
    list_filter = ["is_active", "departments"]
    search_fields = ["name_zh", "name_en"]
    filter_horizontal = ["departments"]
    inlines = [ServiceAreaInline]
    actions = ["stop_serving", "start_serving"]

    @admin.display(description=_("districts"))
    def district_count(self, obj: ServiceCity) -> int:
        return obj.areas.count()

    @admin.action(description=_("Stop taking house calls in the selected cities"))
    def stop_serving(self, request: HttpRequest, queryset: QuerySet[ServiceCity]) -> None:
        updated = queryset.update(is_active=False)
        self.message_user(request, _("%(count)s cities no longer served.") % {"count": updated})

    @admin.action(description=_("Take house calls in the selected cities"))
    def start_serving(self, request: HttpRequest, queryset: QuerySet[ServiceCity]) -> None:
        updated = queryset.update(is_active=True)
        self.message_user(request, _("%(count)s cities served.") % {"count": updated})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # house calls refer to their areas; stop serving a city instead


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = [
        "city",
        "district_zh",
        "district_en",
        "opens_at",
        "closes_at",
        "fee",
        "is_active",
    ]
    list_filter = ["is_active", "city"]
    search_fields = ["district_zh", "district_en", "city__name_zh", "city__name_en"]
    list_select_related = ["city"]
    actions = ["stop_serving", "start_serving"]

    @admin.action(description=_("Stop taking house calls in the selected districts"))
    def stop_serving(self, request: HttpRequest, queryset: QuerySet[ServiceArea]) -> None:
        updated = queryset.update(is_active=False)
        self.message_user(request, _("%(count)s districts no longer served.") % {"count": updated})

    @admin.action(description=_("Take house calls in the selected districts"))
    def start_serving(self, request: HttpRequest, queryset: QuerySet[ServiceArea]) -> None:
        updated = queryset.update(is_active=True)
        self.message_user(request, _("%(count)s districts served.") % {"count": updated})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HouseCallEventInline(admin.TabularInline):
    model = HouseCallEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "note")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _each(
    admin_view: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[HouseCall],
    operation: Callable[[HouseCall], Any],
) -> None:
    """Runs the service on each selected house call; refusals are reported, not raised."""
    done = 0
    for house_call in queryset.order_by("pk"):
        try:
            operation(house_call)
        except DomainError as error:
            admin_view.message_user(request, f"#{house_call.pk}: {error.message}", messages.ERROR)
        else:
            done += 1
    if done:
        admin_view.message_user(
            request,
            ngettext("%(count)d house call updated.", "%(count)d house calls updated.", done)
            % {"count": done},
            messages.SUCCESS,
        )


def _triage_action(outcome: str, description: Any) -> Callable[..., None]:
    def action(
        admin_view: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[HouseCall]
    ) -> None:
        _each(
            admin_view,
            request,
            queryset,
            lambda house_call: services.house_call_triage(
                actor=request.user, house_call_id=house_call.pk, outcome=outcome
            ),
        )

    action.__name__ = f"triage_{outcome}"
    return admin.action(description=description)(action)


def _dispatch_action(minutes: int, description: Any) -> Callable[..., None]:
    def action(
        admin_view: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[HouseCall]
    ) -> None:
        _each(
            admin_view,
            request,
            queryset,
            lambda house_call: services.house_call_dispatch(
                actor=request.user, house_call_id=house_call.pk, eta_minutes=minutes
            ),
        )

    action.__name__ = f"dispatch_{minutes}"
    return admin.action(description=description)(action)


@admin.register(HouseCall)
class HouseCallAdmin(SimpleHistoryAdmin):
    list_display = [
        "id",
        "status",
        "patient",
        "department",
        "area",
        "doctor",
        "eta",
        "triage_outcome",
        "fee",
        "refund_amount",
        "created_at",
    ]
    list_filter = ["status", "triage_outcome", "department", "area__city", "area", "cancelled_by"]
    search_fields = [
        "=id",
        "patient__real_name",
        "patient__account__email",
        "contact_phone",
        "address",
        "doctor__name",
    ]
    list_select_related = ["patient", "department", "area__city", "doctor"]
    date_hierarchy = "created_at"
    inlines = [HouseCallEventInline]
    actions = [
        _triage_action(HouseCall.TriageOutcome.DISPATCH, _("Triage: send a doctor")),
        _triage_action(
            HouseCall.TriageOutcome.ONLINE_CONSULT, _("Triage: advise an online consultation")
        ),
        _triage_action(HouseCall.TriageOutcome.EMERGENCY, _("Triage: advise calling 120 now")),
        _triage_action(HouseCall.TriageOutcome.DECLINE, _("Triage: decline")),
        _dispatch_action(30, _("Dispatch to the department's available doctors, ETA 30 min")),
        _dispatch_action(60, _("Dispatch to the department's available doctors, ETA 60 min")),
        "cancel_by_hospital",
    ]

    @admin.action(description=_("Cancel by the hospital (full refund, the patient is told)"))
    def cancel_by_hospital(self, request: HttpRequest, queryset: QuerySet[HouseCall]) -> None:
        _each(
            self,
            request,
            queryset,
            lambda house_call: services.house_call_cancel(
                actor=request.user,
                house_call_id=house_call.pk,
                reason=str(_("No doctor can come at this time")),
            ),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in HouseCall._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
