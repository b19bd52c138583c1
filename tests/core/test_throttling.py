"""The API's one throttle: anonymous callers by address at the `anon` rate, signed-in callers
by account at the `user` rate; over the rate is a 429 with Retry-After."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from core.cache import cache_incr_with_expiry

pytestmark = pytest.mark.django_db

CATALOG = "/api/v1/products/"


def _rates(anon: str, user: str) -> override_settings:
    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": anon, "user": user},
        }
    )


def test_anonymous_callers_over_the_anon_rate_get_429_with_retry_after(api_client, one_rate_window):
    with _rates("3/min", "100/min"):
        statuses = [api_client.get(CATALOG).status_code for _ in range(3)]
        response = api_client.get(CATALOG)
        other_address = api_client.get(CATALOG, REMOTE_ADDR="10.0.0.9")
    assert statuses == [200, 200, 200]
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60
    assert other_address.status_code == 200


def test_signed_in_callers_count_by_account_at_the_user_rate(
    patient_client, api_client, one_rate_window
):
    with _rates("1/min", "3/min"):
        statuses = [patient_client.get(CATALOG).status_code for _ in range(4)]
        anonymous = api_client.get(CATALOG)
    assert statuses == [200, 200, 200, 429]
    assert anonymous.status_code == 200


def test_the_counter_starts_at_one_and_expires():
    assert cache_incr_with_expiry(cache, "t-counter", timeout=60) == 1
    assert cache_incr_with_expiry(cache, "t-counter", timeout=60) == 2
    assert cache.get("t-counter") == 2


@pytest.mark.redis
def test_the_redis_counter_sets_its_expiry_once_in_one_round_trip():
    from django.core.cache import caches

    backend = caches["default"]
    assert hasattr(backend, "incr_with_expiry")
    assert backend.incr_with_expiry("t-redis-counter", timeout=30) == 1
    assert backend.incr_with_expiry("t-redis-counter", timeout=30) == 2
    key = backend.make_and_validate_key("t-redis-counter")
    client = backend._cache.get_client(key)
    assert 0 < client.ttl(key) <= 30
    assert client is backend._cache.get_client(key)  # one client reused, not one per call
