"""Third-party apps as the admin names them to operators, in their language.

Axes names no app (the admin shows its label, "Axes") and allauth's MFA names neither its model
nor its fields, so nothing there can be translated; these subclasses, listed in INSTALLED_APPS
in place of the packages' own configs, give them names through gettext. Only the names shown
change: the models' declared options (what migrations compare) are left as the packages ship
them.
"""

from __future__ import annotations

from allauth.mfa.apps import MFAConfig
from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    verbose_name = _("Login protection")

    def ready(self) -> None:
        super().ready()
        # Axes calls its log of logins "access log", the very words of our access log of
        # patient data; gettext cannot tell the two apart, so this one gets its own name.
        options = self.get_model("AccessLog")._meta
        options.verbose_name = _("login record")
        options.verbose_name_plural = _("login records")


class MultiFactorConfig(MFAConfig):
    verbose_name = _("Two-factor authentication")

    def ready(self) -> None:
        super().ready()
        authenticator = self.get_model("Authenticator")
        options = authenticator._meta
        options.verbose_name = _("authenticator")
        options.verbose_name_plural = _("authenticators")
        for name, label in (
            ("user", _("user")),
            ("type", _("type")),
            ("data", _("data")),
            ("created_at", _("created at")),
            ("last_used_at", _("last used at")),
        ):
            options.get_field(name).verbose_name = label
