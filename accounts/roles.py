"""The roles of Xinglin. Each is a Django group; its permissions are created by a migration."""

from collections.abc import Iterable

from django.apps import AppConfig
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    DOCTOR = "doctor", _("Doctor")
    PHARMACIST = "pharmacist", _("Pharmacist")
    CLAIMS_OFFICER = "claims_officer", _("Claims officer")
    OPERATOR = "operator", _("Operator")


# Roles that act on other people's health or money data: they must use MFA and get the
# shorter idle timeout.
STAFF_ROLES = frozenset({Role.DOCTOR, Role.PHARMACIST, Role.CLAIMS_OFFICER, Role.OPERATOR})

# Permissions each role holds on accounts' own models (other apps register theirs with
# role_permissions_register). Kept here so the data migration and the post-migrate sync agree.
ACCOUNTS_ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.OPERATOR: (
        "view_user",
        "change_user",
        "view_patientprofile",
        "change_patientprofile",
        "view_historicalpatientprofile",
    ),
}


# Permissions that other apps give roles on their own models, registered from their
# AppConfig.ready(); accounts applies them without importing those apps.
REGISTERED_ROLE_PERMISSIONS: dict[Role, set[tuple[str, str]]] = {}


def role_permissions_register(role: Role, app_label: str, codenames: Iterable[str]) -> None:
    REGISTERED_ROLE_PERMISSIONS.setdefault(role, set()).update(
        (app_label, codename) for codename in codenames
    )


def operator_permissions_register(app_config: AppConfig, *, read_only: bool = False) -> None:
    """Operators run the platform from the admin: they see every model of the app and change
    those they look after (never delete: records are closed or archived, not removed)."""
    actions = ("view",) if read_only else ("view", "change")
    role_permissions_register(
        Role.OPERATOR,
        app_config.label,
        [
            f"{action}_{model._meta.model_name}"
            for model in app_config.get_models()
            for action in actions
        ],
    )
