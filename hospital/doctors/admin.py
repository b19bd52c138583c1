"""Operators' admin for departments, doctors and credential verification."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.exceptions import DomainError

# Consultations register their admin in a module of their own; importing it here is what
# makes admin autodiscovery find it.
from hospital.doctors.models import (
    Credential,
    Department,
    DoctorProfile,
    DoctorService,
    DutyShift,
    ExpertAssistant,
    TierPolicy,
)
from hospital.doctors.rosters import duty_shift_problems, duty_shifts_copy_to_next_week
from hospital.doctors.services import (
    credential_reject,
    credential_verify,
    doctor_practice_problems,
    doctor_reinstate,
    doctor_suspend,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "parent", "ordering", "is_active"]
    list_editable = ["ordering", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name_zh", "name_en"]


class DoctorServiceInline(admin.TabularInline):
    model = DoctorService
    extra = 0


class ExpertAssistantInline(admin.TabularInline):
    model = ExpertAssistant
    extra = 0
    autocomplete_fields = ["user"]
    verbose_name_plural = _("assistants (experts only)")


class CredentialInline(admin.TabularInline):
    model = Credential
    extra = 0
    fields = ("kind", "number", "status", "expires_on", "reviewed_by", "reviewed_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


def _ask_reason(modeladmin, request, queryset, action: str, title: str):
    """An intermediate page asking for the reason; returns it once given."""
    if "apply" in request.POST:
        form = ReasonForm(request.POST)
        if form.is_valid():
            return form.cleaned_data["reason"]
    else:
        form = ReasonForm()
    return render(
        request,
        "hospital/doctors/admin_reason.html",
        {
            "title": title,
            "form": form,
            "objects": queryset,
            "action": action,
            "opts": modeladmin.model._meta,
        },
    )


@admin.register(DoctorProfile)
class DoctorProfileAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "department",
        "title",
        "tier",
        "years_of_practice",
        "rating",
        "is_suspended",
        "may_practise",
    ]
    list_filter = ["department", "title", "tier", "is_suspended"]
    search_fields = ["name", "user__email", "specialties"]
    autocomplete_fields = ["user"]
    readonly_fields = ["is_suspended", "suspension_reason"]
    inlines = [DoctorServiceInline, ExpertAssistantInline, CredentialInline]
    actions = ["suspend", "reinstate"]

    @admin.display(boolean=True, description=_("may practise"))
    def may_practise(self, obj):
        return not doctor_practice_problems(doctor=obj)

    @admin.action(description=_("Suspend the selected doctors"))
    def suspend(self, request, queryset):
        reason = _ask_reason(self, request, queryset, "suspend", _("Suspend doctors"))
        if not isinstance(reason, str):
            return reason
        count = 0
        for doctor in queryset:
            doctor_suspend(doctor_id=doctor.pk, reason=reason, actor=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d doctor suspended.", "%(count)d doctors suspended.", count)
            % {"count": count},
        )
        return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=_("Reinstate the selected doctors"))
    def reinstate(self, request, queryset):
        count = 0
        for doctor in queryset:
            doctor_reinstate(doctor_id=doctor.pk, actor=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d doctor reinstated.", "%(count)d doctors reinstated.", count)
            % {"count": count},
        )


@admin.register(Credential)
class CredentialAdmin(SimpleHistoryAdmin):
    """The verification queue: filter by status "pending", open the scan, verify or reject."""

    list_display = [
        "doctor",
        "kind",
        "number",
        "authority",
        "issued_on",
        "expires_on",
        "status",
        "created_at",
        "reviewed_by",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["doctor__name", "number", "doctor__user__email"]
    readonly_fields = [
        "status",
        "rejection_reason",
        "reviewed_by",
        "reviewed_at",
        "expiry_warned_on",
    ]
    # What the doctor submitted: operators verify or reject it as it stands, never edit it into
    # something they then approve.
    submitted_fields = (
        "doctor",
        "kind",
        "number",
        "authority",
        "issued_on",
        "expires_on",
        "practice_scope",
        "registered_institution",
        "scan",
    )
    actions = ["verify", "reject"]
    ordering = ["status", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status == Credential.Status.PENDING:
            readonly = [*self.submitted_fields, *readonly]
        return readonly

    @admin.action(description=_("Verify the selected credentials"))
    def verify(self, request, queryset):
        count = 0
        for credential in queryset:
            try:
                credential_verify(credential_id=credential.pk, reviewer=request.user)
            except DomainError as error:
                self.message_user(request, f"{credential}: {error.message}", messages.WARNING)
            else:
                count += 1
        self.message_user(
            request,
            ngettext("%(count)d credential verified.", "%(count)d credentials verified.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    @admin.action(description=_("Reject the selected credentials (with a reason)"))
    def reject(self, request, queryset):
        reason = _ask_reason(self, request, queryset, "reject", _("Reject credentials"))
        if not isinstance(reason, str):
            return reason
        count = 0
        for credential in queryset:
            try:
                credential_reject(credential_id=credential.pk, reviewer=request.user, reason=reason)
            except DomainError as error:
                self.message_user(request, f"{credential}: {error.message}", messages.WARNING)
            else:
                count += 1
        self.message_user(
            request,
            ngettext("%(count)d credential rejected.", "%(count)d credentials rejected.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
        return HttpResponseRedirect(request.get_full_path())


@admin.register(TierPolicy)
class TierPolicyAdmin(SimpleHistoryAdmin):
    """The fee band and response promise of each tier, as patients are shown them."""

    list_display = ["tier", "fee_floor", "fee_ceiling", "response_minutes", "description_zh"]
    list_filter = ["tier"]
    search_fields = ["description_zh", "description_en"]


class DutyShiftForm(forms.ModelForm):
    class Meta:
        model = DutyShift
        fields = ["doctor", "starts_at", "ends_at", "note"]

    def clean(self):
        cleaned = super().clean()
        doctor, starts_at, ends_at = (
            cleaned.get("doctor"),
            cleaned.get("starts_at"),
            cleaned.get("ends_at"),
        )
        if doctor and starts_at and ends_at:
            problems = duty_shift_problems(
                doctor=doctor, starts_at=starts_at, ends_at=ends_at, exclude_id=self.instance.pk
            )
            for field, message in problems.items():
                self.add_error(field, message)
        return cleaned


class OnDutyNowFilter(admin.SimpleListFilter):
    title = _("on duty")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("now", _("Now")), ("upcoming", _("Upcoming")), ("past", _("Past"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "now":
            return queryset.filter(starts_at__lte=now, ends_at__gt=now)
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gt=now)
        if self.value() == "past":
            return queryset.filter(ends_at__lte=now)
        return queryset


@admin.register(DutyShift)
class DutyShiftAdmin(SimpleHistoryAdmin):
    """The duty roster of full-time doctors (times in Asia/Shanghai): who serves the 24×7
    quick-consult queue when."""

    form = DutyShiftForm
    list_display = ["doctor", "department", "starts_at", "ends_at", "note"]
    list_filter = [OnDutyNowFilter, "doctor__department"]
    search_fields = ["doctor__name", "note"]
    list_select_related = ["doctor__department"]
    autocomplete_fields = ["doctor"]
    date_hierarchy = "starts_at"
    actions = ["copy_to_next_week"]

    @admin.display(description=_("department"), ordering="doctor__department__ordering")
    def department(self, obj):
        return obj.doctor.department

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "doctor":
            kwargs["queryset"] = DoctorProfile.objects.filter(tier=DoctorProfile.Tier.FULL_TIME)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.action(description=_("Copy the selected shifts to the next week"))
    def copy_to_next_week(self, request, queryset):
        copied = duty_shifts_copy_to_next_week(
            shift_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request,
            ngettext("%(count)d shift copied.", "%(count)d shifts copied.", copied)
            % {"count": copied},
        )


@admin.register(ExpertAssistant)
class ExpertAssistantAdmin(admin.ModelAdmin):
    list_display = ["expert", "user", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["expert__name", "user__email"]
    autocomplete_fields = ["expert", "user"]
