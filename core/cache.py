"""Django's Redis cache, with the client reused and a counter that costs one round trip.

Django's RedisCacheClient builds a new redis-py client for every cache call; with redis-py 8
that construction costs about as much as the command it sends. A client is safe to share
between threads (each command borrows a connection from the pool), so one per pool is enough.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # The stubs leave out Django's private pool and client attributes this builds on.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            # Two threads may both build one the first time; either client works.
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def incr_with_expiry(self, key: str, *, timeout: int) -> int:
        """Add one to the counter at `key` and return it; a new counter lives `timeout` seconds.
        SET NX EX then INCR, in one pipeline: one round trip; the first request of a window
        creates the counter with its expiry, INCR keeps that expiry (any Redis since 2.6.12)."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.set(key, 0, ex=timeout, nx=True)
        pipe.incr(key)
        _created, count = pipe.execute()
        return int(count)


def cache_incr_with_expiry(cache: Any, key: str, *, timeout: int) -> int:
    """The counter at `key` after adding one, on any cache backend (one round trip on ours)."""
    # Asked by attribute: `django.core.cache.cache` is a proxy, not the backend itself.
    incr_with_expiry = getattr(cache, "incr_with_expiry", None)
    if incr_with_expiry is not None:
        return int(incr_with_expiry(key, timeout=timeout))
    cache.add(key, 0, timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between the add and the incr
        cache.add(key, 1, timeout)
        return 1


def fixed_window_count(cache: Any, key: str, *, window: int) -> tuple[int, float]:
    """Counts one more use of `key` in the current fixed window of `window` seconds: how many
    were counted in it so far, and the seconds until it ends."""
    now = time.time()
    # The window's number is part of the key, so a counter never needs resetting.
    count = cache_incr_with_expiry(cache, f"{key}_{int(now // window)}", timeout=window)
    return count, window - now % window


def rate_limit_exceeded(key: str, *, limit: int, window: int) -> bool:
    """Counts one more use of `key` in the current fixed window of `window` seconds; True once
    more than `limit` were counted in it. For pages; the API has its DRF throttles."""
    from django.core.cache import cache

    count, _seconds_left = fixed_window_count(cache, f"ratelimit_{key}", window=window)
    return count > limit
