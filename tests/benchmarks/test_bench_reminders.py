"""The reminders benchmark compares equal work: the scan and the Redis-queue baseline, from the
same state over the same due notices, each end with one inbox row per notice, all marked sent."""

from __future__ import annotations

import os

import pytest

from benchmarks.reminders import reminders_compare, reminders_seed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_the_scan_and_the_redis_baseline_do_the_same_work():
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    now = reminders_seed(notices=1_500, recipients=40)

    result = reminders_compare(notices=1_500, redis_url=redis_url, now=now)

    assert result.engine.sent == result.engine.notifications == 1_500
    assert result.baseline.sent == result.baseline.notifications == 1_500
    assert result.same_work
    assert result.engine_seconds > 0
    assert result.baseline_seconds > 0
