"""The roles of Xinglin. Each is a Django group; its permissions are created by a migration."""

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

# Permissions each role holds on accounts' own models (other apps grant theirs in their own
# migrations). Kept here so the data migration and the post-migrate sync agree.
ACCOUNTS_ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.OPERATOR: (
        "view_user",
        "change_user",
        "view_patientprofile",
        "change_patientprofile",
        "view_historicalpatientprofile",
    ),
}
