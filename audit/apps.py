from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from accounts.roles import operator_permissions_register

        # The access log is append-only: operators may read it, nobody may change it.
        operator_permissions_register(self, read_only=True)
