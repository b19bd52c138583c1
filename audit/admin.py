from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from audit.models import AccessLogEntry

# The roles an actor can hold, as (value, label). Accounts defines the roles and registers them
# from its ready(): the log sits below every app and imports none of them.
ACTOR_ROLES: list[tuple[str, Any]] = []


def actor_roles_register(choices: list[tuple[str, Any]]) -> None:
    ACTOR_ROLES[:] = choices


def role_labels(codes: str) -> str:
    """Comma-separated role codes ("doctor,operator") as their labels; an unknown code as is."""
    labels = {value: label for value, label in ACTOR_ROLES}
    labels.update({"superuser": _("Superuser"), "anonymous": _("Anonymous")})
    names = [code.strip() for code in (codes or "").split(",") if code.strip()]
    return ", ".join(str(labels.get(name, name)) for name in names) or "—"


class ActorRoleFilter(admin.SimpleListFilter):
    title = _("actor role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            *ACTOR_ROLES,
            ("superuser", _("Superuser")),
            ("anonymous", _("Anonymous")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        # actor_role holds the actor's roles, comma-separated and sorted.
        return queryset.filter(actor_role__regex=rf"(^|,){value}(,|$)")


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """Read-only: the access log is evidence, nobody edits it."""

    list_display = (
        "sequence",
        "occurred_at",
        "actor",
        "actor_roles",
        "patient_id",
        "object_type",
        "object_id",
        "action",
        "outcome",
        "client_ip",
    )
    list_filter = ("action", "outcome", ActorRoleFilter, "occurred_at", "object_type")
    search_fields = ("actor__email", "patient__real_name", "=object_id", "=request_id")
    search_help_text = _("Actor email, patient name or number, object id or request id.")
    date_hierarchy = "occurred_at"
    list_select_related = ("actor",)
    show_full_result_count = False
    readonly_fields = [field.name for field in AccessLogEntry._meta.fields]

    @admin.display(description=_("actor role"), ordering="actor_role")
    def actor_roles(self, entry: AccessLogEntry) -> str:
        """The stored role codes, each by its label in the reader's language."""
        return role_labels(entry.actor_role)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if term.isdigit():
            # A number is a patient number or an object id, not part of an email address.
            return queryset.filter(Q(patient_id=int(term)) | Q(object_id=term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
