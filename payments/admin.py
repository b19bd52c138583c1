from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from payments.models import Payment, PaymentCallback, Payout, Refund
from payments.services import payment_refund


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    readonly_fields = [
        "amount",
        "reason",
        "status",
        "provider_refund_id",
        "failure_reason",
        "requested_by",
        "created_at",
        "completed_at",
    ]


class PaymentCallbackInline(admin.TabularInline):
    model = PaymentCallback
    extra = 0
    can_delete = False
    readonly_fields = ("event_id", "reported_status", "outcome", "detail", "received_at")
    fields = readonly_fields


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = [
        "token",
        "purpose",
        "reference",
        "payer",
        "amount",
        "status",
        "provider",
        "created_at",
    ]
    list_filter = ["status", "provider", "purpose"]
    search_fields = ["token", "reference", "provider_transaction_id", "payer__email"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    inlines = [RefundInline, PaymentCallbackInline]
    actions = ["refund_in_full"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Refund what is left of the selected payments"))
    def refund_in_full(self, request, queryset):
        for payment in queryset:
            try:
                payment_refund(
                    payment_id=payment.pk,
                    reason=str(_("Refunded by an operator")),
                    requested_by=request.user,
                )
            except DomainError as error:
                self.message_user(request, f"{payment}: {error.message}", messages.WARNING)


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["id", "payment", "amount", "status", "created_at", "completed_at"]
    list_filter = ["status"]
    search_fields = ["payment__token", "payment__reference", "provider_refund_id"]
    readonly_fields = [f.name for f in Refund._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentCallback)
class PaymentCallbackAdmin(admin.ModelAdmin):
    list_display = ["provider", "event_id", "reported_status", "outcome", "received_at"]
    list_filter = ["provider", "outcome", "reported_status"]
    search_fields = ["event_id", "payment__token"]
    readonly_fields = [f.name for f in PaymentCallback._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = ["id", "purpose", "reference", "payee", "amount", "status", "attempts"]
    list_filter = ["status", "purpose", "provider"]
    search_fields = ["reference", "provider_payout_id", "payee__email"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Payout._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
