"""SMS through a provider's gateway, chosen by settings.SMS_PROVIDER (a dotted path).

Real gateways (Aliyun, Tencent Cloud) send a template approved in advance, named by its id,
filled with named parameters; the console provider prints what would be sent."""

from __future__ import annotations

import logging
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsGateway(Protocol):
    def send(self, *, phone: str, template_id: str, params: dict[str, str]) -> str:
        """Sends one message; returns the gateway's message id. Raises on a failure worth
        retrying."""
        ...


class ConsoleSmsGateway:
    """Writes each message to the log instead of a phone: development and demos."""

    def send(self, *, phone: str, template_id: str, params: dict[str, str]) -> str:
        logger.info("SMS to %s, template %s: %s", phone, template_id, params)
        print(f"SMS to {phone} [{template_id}] {params}")
        return f"console-{phone}-{template_id}"


@cache
def sms_gateway() -> SmsGateway:
    gateway: SmsGateway = import_string(settings.SMS_PROVIDER)()
    return gateway
