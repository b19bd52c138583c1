from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.servers import RedisServer, restore_broker, saved_broker, use_broker


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[tuple[RedisServer, str]]:
    """A Redis of the test's own as this process's broker, and a queue of the test's own."""
    folder = tmp_path / "redis"
    folder.mkdir()
    redis = RedisServer(folder)
    redis.start()
    queue = f"faults-{uuid.uuid4().hex}"
    saved = saved_broker()
    use_broker(redis.url, queue=queue)
    try:
        yield redis, queue
    finally:
        restore_broker(saved)
        redis.stop()
