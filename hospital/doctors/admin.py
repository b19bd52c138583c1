"""Operators' admin for departments, doctors and credential verification."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.exceptions import DomainError

# Consultations register their admin in a module of their own; importing it here is what
# makes admin autodiscovery find it.
from hospital.doctors.models import Credential, Department, DoctorProfile, DoctorService
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
    inlines = [DoctorServiceInline, CredentialInline]
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
