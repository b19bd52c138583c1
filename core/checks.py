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
