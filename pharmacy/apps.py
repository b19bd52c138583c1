from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PharmacyConfig(AppConfig):
    name = "pharmacy"
    verbose_name = _("Pharmacy")

    def ready(self) -> None:
        from accounts.roles import operator_permissions_register

        operator_permissions_register(self)

        from payments.signals import payment_succeeded

        payment_succeeded.connect(_on_payment_succeeded, dispatch_uid="pharmacy.payment_succeeded")


def _on_payment_succeeded(sender: object, payment: object, **kwargs: object) -> None:
    from pharmacy.services import order_payment_succeeded

    order_payment_succeeded(payment=payment)  # type: ignore[arg-type]
