"""Creates the role groups (accounts.roles.Role) and gives the operator its accounts permissions.

Later apps grant their own permissions to these groups in their own migrations.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_NAMES = ("patient", "doctor", "pharmacist", "claims_officer", "operator")
OPERATOR_PERMISSIONS = (
    "view_user",
    "change_user",
    "view_patientprofile",
    "change_patientprofile",
    "view_historicalpatientprofile",
)


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them now so the
    # groups can be given theirs in the same migration.
    accounts_config = apps.get_app_config("accounts")
    accounts_config.models_module = True
    create_permissions(accounts_config, apps=apps, verbosity=0)
    accounts_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)
    operator = Group.objects.get(name="operator")
    operator.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="accounts", codename__in=OPERATOR_PERMISSIONS
        )
    )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
