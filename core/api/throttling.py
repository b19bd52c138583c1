"""One throttle for the whole API: the `anon` rate per client address for anonymous requests,
the `user` rate per account for signed-in ones.

DRF's AnonRateThrottle and UserRateThrottle together read and rewrite a list of timestamps in
the cache twice per request (four round trips for an anonymous one, and the stricter anon
rate always decides). This keeps one counter per caller and fixed window instead: one round
trip. A fixed window lets a caller burst up to twice the rate across a window boundary, which
is within what these limits are for (keeping one client from swamping the service).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache as default_cache
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from core.cache import fixed_window_count

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """ "60/min" → (60, 60): requests allowed, and the window in seconds."""
    num, period = rate.split("/")
    return int(num), _PERIODS[period[0]]


class RequestRateThrottle(BaseThrottle):
    cache = default_cache

    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        user = request.user
        if user is not None and user.is_authenticated:
            scope, ident = "user", str(user.pk)
        else:
            scope, ident = "anon", self.get_ident(request)
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
        if rate is None:
            return True
        allowed, window = rate_parse(str(rate))
        count, seconds_left = fixed_window_count(
            self.cache, f"throttle_{scope}_{ident}", window=window
        )
        if count <= allowed:
            return True
        self._wait = seconds_left
        return False

    def wait(self) -> float | None:
        return self._wait
