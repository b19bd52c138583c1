"""Shared fixtures. Tests marked `postgres` or `redis` need the real service: outside CI they
are skipped when it is not configured; in CI (CI=true) they always run."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from rest_framework.test import APIClient

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if IN_CI:
        return
    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    has_redis = bool(settings.REDIS_URL)
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL"))
        if "redis" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL"))


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Services called directly speak the active language; tests read their messages in English.
    Requests still choose their language (LocaleMiddleware), so pages are tested in both."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Nothing cached by one test (throttle counters, used one-time codes) leaks into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def one_rate_window():
    """Holds the clock still: rate limits count per fixed clock window, and a slow run whose
    requests straddle a window's edge would start a fresh count half way through."""
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now(), tick=False):
        yield


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def patient_user(db):
    from tests.accounts.factories import PatientUserFactory

    return PatientUserFactory()


@pytest.fixture
def patient_client(patient_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(patient_user)
    return client
