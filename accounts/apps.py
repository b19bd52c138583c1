from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.apps import apps

        from accounts import signals  # noqa: F401 - connects the session receivers
        from accounts.roles import Role, operator_permissions_register
        from audit.admin import actor_roles_register

        # Operators also watch the periodic tasks, task results and login lockouts, and read
        # the access log (append-only: nobody may change it). Accounts grants these because
        # audit sits below every app.
        for label, read_only in (
            ("audit", True),
            ("django_celery_beat", False),
            ("django_celery_results", True),
            ("axes", True),
        ):
            operator_permissions_register(apps.get_app_config(label), read_only=read_only)
        actor_roles_register(Role.choices)

        # After the last app's post_migrate, every app's permissions exist to be granted.
        last_app = list(apps.get_app_configs())[-1]
        post_migrate.connect(_sync_role_groups, sender=last_app, dispatch_uid="accounts.roles")


def _sync_role_groups(using: str = "default", **kwargs: Any) -> None:
    # Runs after auth's own post_migrate handler has created the permissions.
    from accounts.services import role_groups_sync

    role_groups_sync(using=using)
