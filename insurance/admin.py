"""The payer's admin: plans and their benefit rules edited as versions, policies looked up by
member number or patient."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.exceptions import DomainError
from insurance.models import (
    CategoryRatio,
    ChronicDisease,
    Exclusion,
    Payer,
    Plan,
    PlanVersion,
    Policy,
    PolicyYear,
    Settlement,
    SettlementLine,
)
from insurance.services import settlement_reverse


@admin.register(Payer)
class PayerAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name_zh", "name_en"]


class PlanVersionInline(admin.TabularInline):
    model = PlanVersion
    extra = 0
    fields = ["effective_from", "source", "deductible_fen", "annual_cap_fen"]
    show_change_link = True


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "payer", "scheme", "is_active"]
    list_filter = ["scheme", "is_active", "payer"]
    search_fields = ["code", "name_zh", "name_en"]
    list_select_related = ["payer"]
    inlines = [PlanVersionInline]


class CategoryRatioInline(admin.TabularInline):
    model = CategoryRatio
    extra = 0


class ChronicDiseaseInline(admin.TabularInline):
    model = ChronicDisease
    extra = 0


class ExclusionInline(admin.TabularInline):
    model = Exclusion
    extra = 0


@admin.register(PlanVersion)
class PlanVersionAdmin(admin.ModelAdmin):
    list_display = ["plan", "effective_from", "deductible_fen", "annual_cap_fen", "source"]
    list_filter = ["plan__scheme", "plan"]
    search_fields = ["plan__code", "plan__name_zh", "source"]
    date_hierarchy = "effective_from"
    list_select_related = ["plan"]
    inlines = [CategoryRatioInline, ChronicDiseaseInline, ExclusionInline]
    save_as = True  # a new version starts as a copy of the one it replaces


class PolicyYearInline(admin.TabularInline):
    model = PolicyYear
    extra = 0
    can_delete = False
    # Accumulators move only with settlements and their reversals, never by hand.
    readonly_fields = ["year", "deductible_met_fen", "pool_paid_fen", "chronic_paid_fen"]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["member_number", "patient", "plan", "status", "starts_on", "ends_on"]
    list_filter = ["status", "plan__scheme", "plan"]
    search_fields = ["member_number", "patient__real_name"]
    search_help_text = _("Member number or patient name.")
    list_select_related = ["patient", "plan"]
    raw_id_fields = ["patient"]
    readonly_fields = ["created_at", "created_by"]
    inlines = [PolicyYearInline]


SETTLEMENT_LINE_FIELDS = (
    "ref",
    "category",
    "code",
    "description",
    "billed_fen",
    "ownpay_full_fen",
    "preselfpay_fen",
    "deductible_fen",
    "pool_fen",
    "account_fen",
    "commercial_fen",
    "cash_fen",
    "reasons",
)


class SettlementLineInline(admin.TabularInline):
    model = SettlementLine
    extra = 0
    can_delete = False
    fields = readonly_fields = SETTLEMENT_LINE_FIELDS


@admin.register(Settlement)
class SettlementAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "patient",
        "status",
        "billed_fen",
        "social_pool_fen",
        "account_fen",
        "commercial_fen",
        "cash_fen",
        "confirmed_at",
    ]
    list_filter = ["status", "service_date"]
    search_fields = ["reference", "patient__real_name", "social_policy__member_number"]
    search_help_text = _("Expense (e.g. order:123), patient name or member number.")
    list_select_related = ["patient"]
    date_hierarchy = "service_date"
    # A settlement changes only through its services: quoted, confirmed, reversed.
    readonly_fields = [field.name for field in Settlement._meta.fields]
    inlines = [SettlementLineInline]
    actions = ["reverse_settlements"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Reverse the selected settlements (refund)"))
    def reverse_settlements(self, request: HttpRequest, queryset: QuerySet[Settlement]) -> None:
        done = 0
        for settlement in queryset.filter(status=Settlement.Status.CONFIRMED):
            try:
                settlement_reverse(settlement_id=settlement.pk, reason="reversed by an operator")
            except DomainError as error:
                self.message_user(request, f"{settlement}: {error.message}", messages.ERROR)
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d settlement reversed.", "%(count)d settlements reversed.", done)
            % {"count": done},
            messages.SUCCESS,
        )
