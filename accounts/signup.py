"""The consent every signup carries: the user agreement, the privacy policy and the separate
consent to processing health information.

allauth builds both its web signup form and the headless API's signup input on top of
ACCOUNT_SIGNUP_FORM_CLASS, so this one field is required on /accounts/signup/ and on
/_allauth/{app,browser}/v1/auth/signup alike. allauth imports this module while it defines its
own forms: it must not import allauth.account.forms.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from accounts.models import ConsentRecord, User
from core.request_context import client_ip


def consent_label(*, terms_version: str, privacy_version: str) -> str:
    """The checkbox label with links to both texts, in the language of the request."""
    return format_html(
        gettext(
            "I have read and agree to the {terms} (version {terms_version}) and the {privacy} "
            "(version {privacy_version}), and I separately consent to Xinglin processing my "
            "health information, which is sensitive personal information, as the privacy "
            "policy describes."
        ),
        terms=format_html(
            '<a href="{}">{}</a>',
            reverse("legal-terms"),
            pgettext("consent link", "User Agreement"),
        ),
        privacy=format_html(
            '<a href="{}">{}</a>',
            reverse("legal-privacy"),
            pgettext("consent link", "Privacy Policy"),
        ),
        terms_version=terms_version,
        privacy_version=privacy_version,
    )


class SignupConsentForm(forms.Form):
    consent = forms.BooleanField(
        required=True,
        error_messages={
            "required": _(
                "To open an account you must accept the user agreement and the privacy policy."
            )
        },
        template_name="accounts/consent_field.html",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = consent_label(
            terms_version=settings.LEGAL_TERMS_VERSION,
            privacy_version=settings.LEGAL_PRIVACY_VERSION,
        )

    def signup(self, request: HttpRequest, user: User) -> None:
        """Called by allauth once the account is saved, in the same request."""
        from accounts.services import consent_record

        channel = (
            ConsentRecord.Channel.APP
            if request.path.startswith("/_allauth/app/")
            else ConsentRecord.Channel.WEB
        )
        consent_record(user=user, channel=channel, ip_address=client_ip(request))
