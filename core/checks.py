from typing import Any

from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def secret_key_from_environment(app_configs: Any = None, **kwargs: Any) -> list[checks.Error]:
    from core.secret_key import secret_key_missing

    if secret_key_missing():
        return [
            checks.Error(
                "SECRET_KEY must be set when DEBUG is off.",
                hint="Set the SECRET_KEY environment variable to a long random value.",
                id="xinglin.E001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def site_url_is_public(app_configs: Any = None, **kwargs: Any) -> list[checks.Warning]:
    from django.conf import settings

    if not settings.SITE_URL.startswith("https://"):
        return [
            checks.Warning(
                f"SITE_URL is {settings.SITE_URL}: links in emails would point there.",
                hint="Set SITE_URL to the site's public https address.",
                id="xinglin.W001",
            )
        ]
    return []
