"""Refusing to run without SECRET_KEY where it matters.

The settings load without a key so that commands needing no secret work on any machine. Every
entry point that signs or verifies something (sessions, the access-log chain, prescription
signatures, payment webhooks) calls secret_key_require() first.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Management commands that read the code and the schema but sign nothing.
COMMANDS_WITHOUT_SECRETS = frozenset(
    {
        "check",
        "collectstatic",
        "compilemessages",
        "help",
        "makemessages",
        "makemigrations",
        "migrate",
        "showmigrations",
        "spectacular",
        "sqlmigrate",
        "version",
    }
)


def secret_key_missing() -> bool:
    return not settings.DEBUG and not settings.SECRET_KEY_FROM_ENVIRONMENT


def secret_key_require(purpose: str) -> None:
    if secret_key_missing():
        raise ImproperlyConfigured(f"SECRET_KEY must be set when DEBUG is off ({purpose}).")
