from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import ConsentRecord, PatientProfile, User
from accounts.roles import Role
from accounts.services import patient_profile_check, user_deactivate
from audit.admin import role_labels
from core.exceptions import DomainError

CONSENT_FIELDS = (
    "user",
    "terms_version",
    "privacy_version",
    "sensitive_information",
    "channel",
    "ip_address",
    "accepted_at",
)


class ConsentRecordInline(admin.TabularInline):
    """What the account accepted at signup: evidence, so nobody edits or removes it."""

    model = ConsentRecord
    fields = CONSENT_FIELDS[1:]
    readonly_fields = CONSENT_FIELDS[1:]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ["user", "terms_version", "privacy_version", "channel", "accepted_at"]
    list_filter = ["terms_version", "privacy_version", "channel", "accepted_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = CONSENT_FIELDS
    readonly_fields = CONSENT_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RoleFilter(admin.SimpleListFilter):
    """The groups filter by role label: a group is named by its role's code."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Role.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(groups__name=value) if value else queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [ConsentRecordInline]
    ordering = ["email"]
    list_display = ["email", "display_name", "roles", "is_active", "is_staff", "date_joined"]
    list_filter = [RoleFilter, "is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "display_name"]
    readonly_fields = ["last_login", "date_joined"]
    actions = ["disable_accounts"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("display_name", "first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "password1", "password2", "groups")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.action(description=_("Disable the selected accounts (signs them out everywhere)"))
    def disable_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        # One by one through the service: a queryset update would skip ending the sessions.
        for user in queryset.filter(is_active=True):
            user_deactivate(user=user)
        self.message_user(request, _("The selected accounts are disabled and signed out."))

    @admin.display(description=_("roles"))
    def roles(self, user: User) -> str:
        # Groups are named by role code; the column shows each role's label.
        return role_labels(",".join(sorted(group.name for group in user.groups.all())))


class PatientProfileAdminForm(forms.ModelForm):
    class Meta:
        model = PatientProfile
        fields = [
            "account",
            "relationship",
            "real_name",
            "sex",
            "birth_date",
            "resident_id_number",
            "phone",
            "is_archived",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        # The same rules as the API and pages: the ID must agree with birth date and sex, and
        # one person once per account.
        candidate = copy.copy(self.instance)
        for name, value in cleaned.items():
            setattr(candidate, name, value)
        try:
            patient_profile_check(candidate)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        except DomainError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return cleaned


@admin.register(PatientProfile)
class PatientProfileAdmin(SimpleHistoryAdmin):
    form = PatientProfileAdminForm
    # The full resident ID number is never shown in lists; only a superuser sees it, in the
    # change form of one profile.
    list_display = [
        "real_name",
        "relationship",
        "masked_id",
        "sex",
        "birth_date",
        "phone",
        "account",
        "is_archived",
    ]
    list_filter = ["relationship", "sex", "is_archived", "created_at"]
    search_fields = ["real_name", "phone", "account__email"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]
    readonly_fields = ["masked_id", "created_at", "updated_at"]
    history_list_display = ["real_name", "relationship", "is_archived"]

    @admin.display(description=_("resident ID number"))
    def masked_id(self, profile: PatientProfile) -> str:
        return profile.masked_resident_id

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [
            "account",
            "relationship",
            "real_name",
            "sex",
            "birth_date",
            "resident_id_number" if request.user.is_superuser else "masked_id",  # type: ignore[union-attr]
            "phone",
            "is_archived",
            "created_at",
            "updated_at",
        ]
        return fields

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if request.user.is_superuser else ["resident_id_number"]  # type: ignore[union-attr]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Profiles are archived, never deleted: bookings and prescriptions point at them.
        return False
