"""WeChat subscription messages (订阅消息) through the WeChat service's gateway, chosen by
settings.WECHAT_PROVIDER (a dotted path), in the same shape as the SMS gateway.

WeChat sends a template approved in advance, named by its id, filled with named fields, to a
user's openid, and only with the user's consent (notifications.models.WechatSubscription);
the console provider prints what would be sent."""

from __future__ import annotations

import logging
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class WechatGateway(Protocol):
    def send(self, *, openid: str, template_id: str, params: dict[str, str], page: str) -> str:
        """Sends one subscription message; returns the gateway's message id. Raises on a
        failure worth retrying. `page` is where tapping the message opens."""
        ...


class ConsoleWechatGateway:
    """Writes each message to the log instead of WeChat: development and demos."""

    def send(self, *, openid: str, template_id: str, params: dict[str, str], page: str) -> str:
        logger.info("WeChat to %s, template %s: %s (%s)", openid, template_id, params, page)
        print(f"WeChat to {openid} [{template_id}] {params} {page}")
        return f"console-{openid}-{template_id}"


@cache
def wechat_gateway() -> WechatGateway:
    gateway: WechatGateway = import_string(settings.WECHAT_PROVIDER)()
    return gateway
