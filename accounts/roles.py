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

# The role whose pages an account sees first (navigation, where login lands) when it holds
# several: a doctor who also books for their family signs in to work, so the clinical and staff
# roles come before the patient one.
ROLE_PRECEDENCE: tuple[Role, ...] = (
    Role.DOCTOR,
    Role.PHARMACIST,
    Role.CLAIMS_OFFICER,
    Role.OPERATOR,
    Role.PATIENT,
)


def primary_role(user: object) -> str:
    """The role an account's navigation and login landing follow; "" when signed out.

    A signed-in account without any role (a superuser made on the command line) is treated as
    an operator if it is staff, else as a patient: every account that signs up itself is one.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    names: frozenset[str] = getattr(user, "role_names", frozenset())
    for role in ROLE_PRECEDENCE:
        if role.value in names:
            return role.value
    return Role.OPERATOR.value if getattr(user, "is_staff", False) else Role.PATIENT.value


# Permissions each role holds on accounts' own models (other apps register theirs with
# role_permissions_register). Kept here so the data migration and the post-migrate sync agree.
ACCOUNTS_ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.OPERATOR: (
        "view_user",
        "change_user",
        "view_patientprofile",
        "change_patientprofile",
        "view_historicalpatientprofile",
        # what each account accepted at signup, read-only evidence
        "view_consentrecord",
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
