"""Per-request facts (request id, client IP) that logs and the access log need."""

from __future__ import annotations

import contextvars
import uuid

from django.conf import settings
from django.http import HttpRequest

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
client_ip_var: contextvars.ContextVar[str] = contextvars.ContextVar("client_ip", default="")


def new_request_id(incoming: str | None) -> str:
    # Accept a proxy's id only if it is short and printable; never let a client forge log lines.
    if incoming and len(incoming) <= 64 and incoming.replace("-", "").isalnum():
        return incoming
    return uuid.uuid4().hex


def client_ip(request: HttpRequest) -> str:
    """The client address as seen by the first trusted proxy (TRUSTED_PROXY_COUNT of them)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")
