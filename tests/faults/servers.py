"""Servers the fault tests start, stop and restart themselves, on free ports of 127.0.0.1 in
temporary folders, so that the machine's own PostgreSQL and Redis are never touched."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from config.celery import app as celery_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def binary(name: str, *folders: str) -> str:
    for folder in folders:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed: the fault tests start their own server")
    return found


def _wait(condition, what: str, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {seconds} s")


class RedisServer:
    """A Redis of the test's own that keeps nothing on disk; stop() is the outage."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - the machine's redis-server, fixed arguments
            [
                binary("redis-server"),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(self.answers, f"redis-server on port {self.port} did not answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def _postgres_bin() -> list[str]:
    return sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin"))[::-1]


class PostgresServer:
    """A PostgreSQL cluster of the test's own; restart() is the outage."""

    def __init__(self) -> None:
        # Its own folder under /tmp: pytest's folders are closed to the `postgres` user.
        self.folder = Path(tempfile.mkdtemp(prefix="xinglin-faults-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.bin = [binary(name, *_postgres_bin()) for name in ("initdb", "pg_ctl")]
        # PostgreSQL refuses to run as root; the machine's own cluster runs as `postgres`.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres")

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_user, *command], check=True, capture_output=True)  # noqa: S603

    def init(self) -> None:
        initdb, _pg_ctl = self.bin
        self._run(initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        _initdb, pg_ctl = self.bin
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=50"
        )
        self._run(
            pg_ctl,
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        _initdb, pg_ctl = self.bin
        self._run(pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


def use_broker(url: str, *, queue: str) -> None:
    """Publishes this process's tasks for real to `url`, on `queue`."""
    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    # The pools were built for the previous broker; the next publish builds them anew.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def restore_broker(saved: tuple) -> None:
    url, eager, queue = saved
    use_broker(url, queue=queue)
    celery_app.conf.task_always_eager = eager


def saved_broker() -> tuple:
    return (
        celery_app.conf.broker_url,
        celery_app.conf.task_always_eager,
        celery_app.conf.task_default_queue,
    )
