from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        post_migrate.connect(_sync_role_groups, sender=self)


def _sync_role_groups(using: str = "default", **kwargs: Any) -> None:
    # Runs after auth's own post_migrate handler has created the permissions.
    from accounts.services import role_groups_sync

    role_groups_sync(using=using)
