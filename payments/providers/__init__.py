"""Gateway adapters. Each provider is named in settings.PAYMENT_PROVIDERS with its secrets."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from core.exceptions import NotFound
from payments.providers.base import PaymentProvider


@cache
def _load(name: str, class_path: str) -> PaymentProvider:
    config = settings.PAYMENT_PROVIDERS[name]
    provider_class = import_string(class_path)
    return provider_class(name=name, config=config)


def get_provider(name: str) -> PaymentProvider:
    config = settings.PAYMENT_PROVIDERS.get(name)
    if config is None:
        raise NotFound(f"unknown payment provider {name!r}")
    return _load(name, config["class"])
