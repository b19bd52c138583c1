from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    name = "insurance"
    verbose_name = _("Insurance")

    def ready(self) -> None:
        from accounts.roles import operator_permissions_register

        operator_permissions_register(self)

        from django.db.models.signals import post_delete, post_save

        # A plan version's rules are its own figures and these rows: a change to any of them,
        # from the admin's inlines or anywhere else, is a new revision of the version's rules.
        for model in ("CategoryRatio", "ChronicDisease", "Exclusion"):
            for signal in (post_save, post_delete):
                signal.connect(
                    _on_rule_row_changed,
                    sender=f"insurance.{model}",
                    dispatch_uid=f"insurance.{model}.{signal is post_save}",
                )


def _on_rule_row_changed(sender: object, instance: object, **kwargs: object) -> None:
    import uuid

    from insurance.models import PlanVersion

    PlanVersion.objects.filter(pk=instance.version_id).update(  # type: ignore[attr-defined]
        rules_revision=uuid.uuid4().hex
    )
