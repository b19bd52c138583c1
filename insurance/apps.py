from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    name = "insurance"
    verbose_name = _("Insurance")

    def ready(self) -> None:
        from accounts.roles import operator_permissions_register

        operator_permissions_register(self)
