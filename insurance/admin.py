"""The payer's admin: plans and their benefit rules edited as versions, policies looked up by
member number or patient, settlements and claims read as the services left them. Money and
ledger rows are read only; what an operator may do to them is an action calling a service."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.exceptions import DomainError
from insurance.models import (
    CategoryRatio,
    CentreSettlement,
    ChronicDisease,
    Claim,
    ClaimDocument,
    ClaimLine,
    DrugCodeMapping,
    Exclusion,
    IncentiveGrant,
    Payer,
    Plan,
    PlanVersion,
    Policy,
    PolicyYear,
    PrescriptionUpload,
    ReconciliationDifference,
    ReconciliationRun,
    Settlement,
    SettlementLine,
)
from insurance.services import (
    claim_pay_out,
    claim_readjudicate,
    claim_return_to_queue,
    settlement_reverse,
)
from insurance.services.point_of_sale import to_yuan
from insurance.services.reconciliation import reconciliation_run

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "plan",
                    "effective_from",
                    "source",
                    "deductible_fen",
                    "annual_cap_fen",
                    "per_claim_maximum_fen",
                    "yi_self_paid_bp",
                    "chronic_ratio_bp",
                    "chronic_annual_cap_fen",
                    "account_usable",
                    "waiting_days",
                    "manual_review_over_fen",
                ]
            },
        ),
        (
            _("Health bonus (commercial plans)"),
            {
                "fields": ["incentive_min_days", "incentive_in_range_bp", "incentive_bonus_fen"],
                "description": _(
                    "A month with readings on at least this many days, and at least this share "
                    "of them in range, adds this much to the policy's annual maximum."
                ),
            },
        ),
    ]
    save_as = True  # a new version starts as a copy of the one it replaces


class IncentiveGrantInline(admin.TabularInline):
    model = IncentiveGrant
    extra = 0
    can_delete = False
    # Granted only by the monthly task, from the month's readings.
    fields = readonly_fields = (
        "month",
        "days_recorded",
        "in_range_share_bp",
        "bonus_fen",
        "granted_at",
    )

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class PolicyYearInline(admin.TabularInline):
    model = PolicyYear
    extra = 0
    can_delete = False
    # Accumulators move only with settlements and their reversals, never by hand.
    readonly_fields = [
        "year",
        "deductible_met_fen",
        "pool_paid_fen",
        "chronic_paid_fen",
        "bonus_cover_fen",
    ]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["member_number", "patient", "plan", "status", "starts_on", "ends_on"]
    list_filter = ["status", "plan__scheme", "plan"]
    search_fields = ["member_number", "patient__real_name", "patient__account__email"]
    search_help_text = _("Member number, patient name or account email.")
    list_select_related = ["patient", "plan"]
    date_hierarchy = "starts_on"
    raw_id_fields = ["patient"]
    readonly_fields = ["created_at", "created_by"]
    inlines = [PolicyYearInline, IncentiveGrantInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Policy | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        # The opening balance is entered once; after that it moves only with settlements.
        return [*fields, "account_balance_fen"] if obj is not None else fields


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
    list_filter = ["status", "service_date", "confirmed_at"]
    search_fields = [
        "reference",
        "setl_id",
        "patient__real_name",
        "social_policy__member_number",
        "commercial_policy__member_number",
    ]
    search_help_text = _(
        "Expense (e.g. pharmacy_order:12:3), centre settlement id, patient name or member number."
    )
    list_select_related = ["patient"]
    date_hierarchy = "service_date"
    # A settlement changes only through its services: quoted, confirmed, reversed.
    readonly_fields = [field.name for field in Settlement._meta.fields]
    inlines = [SettlementLineInline]
    actions = ["reverse_settlements"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
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


# --- 对账 -------------------------------------------------------------------------------------


def _yuan(fen: int) -> str:
    return f"¥{to_yuan(fen)}"


class HasDifferencesFilter(admin.SimpleListFilter):
    title = _("differences")
    parameter_name = "differences"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, StrOrPromise]]:
        return [("yes", _("With differences")), ("no", _("Clean"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(differences_count__gt=0)
        if self.value() == "no":
            return queryset.filter(differences_count=0)
        return queryset


DIFFERENCE_FIELDS = (
    "kind",
    "reference",
    "settlement",
    "payment",
    "refund",
    "settlement_cash",
    "settlement_covered",
    "paid",
    "payment_covered",
    "refunded",
)


def _yuan_field(name: str, description: StrOrPromise) -> object:
    @admin.display(description=description, ordering=name)
    def show(self: object, obj: object) -> str:
        return _yuan(getattr(obj, name))

    return show


class ReconciliationDifferenceInline(admin.TabularInline):
    model = ReconciliationDifference
    extra = 0
    can_delete = False
    fields = readonly_fields = DIFFERENCE_FIELDS

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    settlement_cash = _yuan_field("settlement_cash_fen", _("patient's part per settlement"))
    settlement_covered = _yuan_field("settlement_covered_fen", _("covered per settlement"))
    paid = _yuan_field("payment_fen", _("paid by the patient"))
    payment_covered = _yuan_field("payment_covered_fen", _("covered per payment"))
    refunded = _yuan_field("refunded_fen", _("refunded"))


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(admin.ModelAdmin):
    """The day's 对账 for operators: the totals side by side in yuan, the differences below."""

    list_display = [
        "day",
        "differences_count",
        "settlements_confirmed",
        "settlements_reversed",
        "insurer",
        "account",
        "cash",
        "payments_captured_total",
        "payments_covered",
        "refunds_total",
        "created_at",
    ]
    list_filter = [HasDifferencesFilter, "day"]
    date_hierarchy = "day"
    inlines = [ReconciliationDifferenceInline]
    actions = ["run_again"]
    fieldsets = [
        (None, {"fields": ["day", "created_at", "differences_count"]}),
        (
            _("Settlements"),
            {
                "fields": [
                    "settlements_confirmed",
                    "settlements_confirmed_total",
                    "settlements_reversed",
                    "settlements_reversed_total",
                    "insurer",
                    "account",
                    "cash",
                ]
            },
        ),
        (
            _("Payments"),
            {
                "fields": [
                    "payments_captured",
                    "payments_captured_total",
                    "payments_covered",
                    "refunds",
                    "refunds_total",
                ]
            },
        ),
        (
            _("The medical-insurance centre's day (3201) and ours"),
            {
                "fields": [
                    ("centre_settlements", "social_settlements"),
                    ("centre_medfee", "social_medfee"),
                    ("centre_hifp", "social_hifp"),
                    ("centre_acct", "social_acct"),
                ]
            },
        ),
    ]
    readonly_fields = [
        "day",
        "created_at",
        "differences_count",
        "settlements_confirmed",
        "settlements_confirmed_total",
        "settlements_reversed",
        "settlements_reversed_total",
        "insurer",
        "account",
        "cash",
        "payments_captured",
        "payments_captured_total",
        "payments_covered",
        "refunds",
        "refunds_total",
        "centre_settlements",
        "social_settlements",
        "centre_medfee",
        "social_medfee",
        "centre_hifp",
        "social_hifp",
        "centre_acct",
        "social_acct",
    ]

    centre_medfee = _yuan_field("centre_medfee_fen", _("fees at the centre"))
    social_medfee = _yuan_field("social_medfee_fen", _("fees settled here"))
    centre_hifp = _yuan_field("centre_hifp_fen", _("pool at the centre"))
    social_hifp = _yuan_field("social_hifp_fen", _("pool settled here"))
    centre_acct = _yuan_field("centre_acct_fen", _("personal accounts at the centre"))
    social_acct = _yuan_field("social_acct_fen", _("personal accounts settled here"))
    settlements_confirmed_total = _yuan_field("settlements_confirmed_fen", _("billed, confirmed"))
    settlements_reversed_total = _yuan_field("settlements_reversed_fen", _("billed, reversed"))
    insurer = _yuan_field("insurer_fen", _("insurers"))
    account = _yuan_field("account_fen", _("personal accounts"))
    cash = _yuan_field("cash_fen", _("patients' part"))
    payments_captured_total = _yuan_field("payments_captured_fen", _("payments captured"))
    payments_covered = _yuan_field("payments_covered_fen", _("covered on the payments"))
    refunds_total = _yuan_field("refunds_fen", _("refunded"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Run again"))
    def run_again(self, request: HttpRequest, queryset: QuerySet[ReconciliationRun]) -> None:
        days = sorted(queryset.values_list("day", flat=True))
        for day in days:
            run = reconciliation_run(day=day)
            self.message_user(
                request,
                ngettext(
                    "%(day)s: %(count)d difference.",
                    "%(day)s: %(count)d differences.",
                    run.differences_count,
                )
                % {"day": f"{day:%Y-%m-%d}", "count": run.differences_count},
                messages.WARNING if run.differences_count else messages.SUCCESS,
            )


@admin.register(ReconciliationDifference)
class ReconciliationDifferenceAdmin(admin.ModelAdmin):
    list_display = [
        "run",
        "kind",
        "reference",
        "settlement_cash_fen",
        "payment_fen",
        "refunded_fen",
    ]
    list_filter = ["kind", "run__day"]
    search_fields = ["reference"]
    search_help_text = _("Expense, e.g. appointment:42 or pharmacy_order:7.")
    list_select_related = ["run"]
    readonly_fields = [field.name for field in ReconciliationDifference._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(DrugCodeMapping)
class DrugCodeMappingAdmin(admin.ModelAdmin):
    """对码: our item codes to the national medical-insurance drug codes."""

    list_display = ("item_code", "national_code", "national_name", "valid_from", "valid_to")
    search_fields = ("item_code", "national_code", "national_name")
    list_filter = ("valid_from", "valid_to")
    date_hierarchy = "valid_from"


@admin.register(CentreSettlement)
class CentreSettlementAdmin(admin.ModelAdmin):
    """The simulator's ledger, as the centre would show it: read only."""

    list_display = ("setl_id", "mdtrt_id", "psn_no", "status", "medfee_sumamt", "setl_time")
    search_fields = ("setl_id", "mdtrt_id", "psn_no")
    list_filter = ("status",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PrescriptionUpload)
class PrescriptionUploadAdmin(admin.ModelAdmin):
    list_display = ("reference", "hi_rxno", "status", "uploaded_at")
    search_fields = ("reference", "hi_rxno")
    list_filter = ("status",)
    readonly_fields = ("reference", "hi_rxno", "payload", "status", "uploaded_at")


# --- claims -----------------------------------------------------------------------------------


class ClaimLineInline(admin.TabularInline):
    model = ClaimLine
    extra = 0
    can_delete = False
    # Proposed by the rules, decided by a claims officer: never typed in here.
    fields = readonly_fields = (
        "ref",
        "service_date",
        "category",
        "code",
        "description",
        "diagnoses",
        "billed_fen",
        "proposed_fen",
        "reasons",
        "decision",
        "approved_fen",
        "decision_note",
    )

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ClaimDocumentInline(admin.TabularInline):
    model = ClaimDocument
    extra = 0
    can_delete = False
    fields = readonly_fields = ("file", "content_type", "uploaded_by", "uploaded_at")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    """Claims as the services left them. An operator acts on them only through the actions,
    each one service call: back to the review queue, the rules again, the payout again."""

    list_display = [
        "id",
        "expense_reference",
        "patient",
        "policy",
        "status",
        "review_reason",
        "billed",
        "approved",
        "assigned_to",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "review_reason", "is_outside_receipt", "policy__plan"]
    search_fields = [
        "expense_reference",
        "patient__real_name",
        "policy__member_number",
        "assigned_to__email",
    ]
    search_help_text = _("Expense or receipt number, patient name, member number or officer email.")
    list_select_related = ["patient", "policy", "policy__plan", "assigned_to"]
    date_hierarchy = "created_at"
    readonly_fields = [
        field.name for field in Claim._meta.fields if field.name not in ("id", "fingerprint")
    ]
    exclude = ["fingerprint"]
    inlines = [ClaimLineInline, ClaimDocumentInline]
    actions = ["return_to_queue", "run_rules_again", "pay_out"]

    billed = _yuan_field("billed_fen", _("billed"))
    approved = _yuan_field("approved_fen", _("approved"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Claim], act: Callable[[int], Claim]
    ) -> list[Claim]:
        """Calls `act` for each selected claim; a claim it refuses is reported by number and
        the others still go on."""
        done: list[Claim] = []
        for claim_id in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                done.append(act(claim_id))
            except DomainError as error:
                self.message_user(request, f"#{claim_id}: {error.message}", messages.ERROR)
        return done

    def _report(self, request: HttpRequest, message: str) -> None:
        self.message_user(request, message, messages.SUCCESS)

    @admin.action(description=_("Send back to the review queue"), permissions=["change"])
    def return_to_queue(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        done = self._each(
            request,
            queryset,
            lambda claim_id: claim_return_to_queue(claim_id=claim_id, actor=request.user),
        )
        if done:
            self._report(
                request,
                ngettext(
                    "%(count)d claim is back in the review queue.",
                    "%(count)d claims are back in the review queue.",
                    len(done),
                )
                % {"count": len(done)},
            )

    @admin.action(description=_("Run the automatic adjudication again"), permissions=["change"])
    def run_rules_again(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        claims = self._each(
            request, queryset, lambda claim_id: claim_readjudicate(claim_id=claim_id)
        )
        if claims:
            self._report(
                request,
                ngettext(
                    "%(count)d claim went through the rules again.",
                    "%(count)d claims went through the rules again.",
                    len(claims),
                )
                % {"count": len(claims)},
            )
        for claim in claims:
            self.message_user(request, f"#{claim.pk}: {claim.get_status_display()}", messages.INFO)

    @admin.action(description=_("Pay out (or retry the payout)"), permissions=["change"])
    def pay_out(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        claims = self._each(request, queryset, lambda claim_id: claim_pay_out(claim_id=claim_id))
        paid = sum(claim.status == Claim.Status.PAID for claim in claims)
        if paid:
            self._report(
                request,
                ngettext("%(count)d claim paid out.", "%(count)d claims paid out.", paid)
                % {"count": paid},
            )
        for claim in claims:
            if claim.status != Claim.Status.PAID:
                failure = claim.payout.failure_reason if claim.payout else ""
                self.message_user(
                    request,
                    _("#%(id)s: the payout failed (%(reason)s); it stays approved.")
                    % {"id": claim.pk, "reason": failure},
                    messages.WARNING,
                )
