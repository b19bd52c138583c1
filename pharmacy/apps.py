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

        from django.db.models.signals import post_save

        post_save.connect(
            _on_drug_saved, sender="hospital.FormularyDrug", dispatch_uid="pharmacy.drug_saved"
        )


def _on_payment_succeeded(sender: object, payment: object, **kwargs: object) -> None:
    from pharmacy.services import order_payment_succeeded

    order_payment_succeeded(payment=payment)  # type: ignore[arg-type]


def _on_drug_saved(sender: object, instance: object, created: bool, **kwargs: object) -> None:
    # Every way a drug changes (the formulary file, the admin) saves it; a new drug has no
    # products yet.
    if created or kwargs.get("raw"):
        return
    from pharmacy.services import products_follow_drug

    products_follow_drug(drug_id=instance.pk)  # type: ignore[attr-defined]
