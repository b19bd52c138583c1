"""Load generators: `wrk` when installed, else a keep-alive thread pool on http.client.

Both are bounded by time (and the Python one also by count) and speak only to 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.stats import LoadResult, percentile

HOST = "127.0.0.1"

WRK_REPORT = r"""
done = function(summary, latency, requests)
  io.write(string.format(
    '\nBENCH-JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"non_2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
end
"""


def wrk_path() -> str | None:
    return shutil.which("wrk")


def run_wrk(
    *,
    label: str,
    port: int,
    path: str,
    seconds: float,
    connections: int,
    threads: int = 1,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError("wrk is not installed")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    url = f"http://{HOST}:{port}{path}"
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(round(seconds), 1)}s",
        "--timeout",
        "10s",
        "-s",
        script.name,
    ]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=seconds + 30, check=False
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH-JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no report:\n{proc.stdout}\n{proc.stderr}")
    data = json.loads(line.removeprefix("BENCH-JSON "))
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    return LoadResult(
        label=label,
        url=path,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        non_2xx=data["non_2xx"],
        errors=socket_errors,
        tool="wrk",
    )


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float
    headers: dict[str, str]


class Client:
    """One keep-alive HTTP connection to 127.0.0.1 that reconnects when the server closes it
    (gunicorn's sync workers close after every response)."""

    def __init__(self, port: int, timeout: float = 30.0):
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed a kept-alive connection between requests: reconnect once.
                self.close()
                if attempt == 2:
                    raise
                continue
            elapsed = time.perf_counter() - started
            if response.will_close:
                self.close()
            return Reply(response.status, data, elapsed, dict(response.getheaders()))
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def run_python(
    *,
    label: str,
    port: int,
    paths: Sequence[str],
    seconds: float,
    connections: int,
    max_requests: int | None = None,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """`connections` threads issue GETs, cycling through `paths`, until the time is up or
    `max_requests` have been sent in all."""
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    non_2xx = 0
    errors = 0

    def take() -> int | None:
        nonlocal issued
        with lock:
            if max_requests is not None and issued >= max_requests:
                return None
            issued += 1
            return issued

    def worker() -> None:
        nonlocal non_2xx, errors
        client = Client(port, timeout=10)
        mine: list[float] = []
        bad = failed = 0
        try:
            while time.monotonic() < deadline:
                n = take()
                if n is None:
                    break
                try:
                    reply = client.request("GET", paths[n % len(paths)], headers=headers)
                except OSError:
                    failed += 1
                    client.close()
                    continue
                mine.append(reply.seconds)
                if not 200 <= reply.status < 300:
                    bad += 1
        finally:
            client.close()
            with lock:
                latencies.extend(mine)
                non_2xx += bad
                errors += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 30)
    elapsed = time.perf_counter() - started
    return LoadResult(
        label=label,
        url=paths[0] if len(paths) == 1 else f"{len(paths)} paths",
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        non_2xx=non_2xx,
        errors=errors,
        tool="python",
    )


def fire_at_once(
    port: int,
    calls: Sequence[tuple[str, str, bytes | None, dict[str, str]]],
    *,
    concurrency: int,
    timeout: float,
    on_reply: Callable[[int, Reply | Exception], None],
) -> float:
    """Sends `calls` (method, path, body, headers) from `concurrency` threads released together
    by a barrier; each reply (or exception) goes to `on_reply(index, reply)`. Returns the wall
    time from release to the last reply."""
    queue = list(enumerate(calls))
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)

    def worker() -> None:
        client = Client(port, timeout=timeout)
        try:
            barrier.wait(timeout=60)
            while True:
                with lock:
                    if not queue:
                        return
                    index, (method, path, body, headers) = queue.pop(0)
                try:
                    reply: Reply | Exception = client.request(
                        method, path, body=body, headers=headers
                    )
                except Exception as exc:
                    reply = exc
                    client.close()
                on_reply(index, reply)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait(timeout=60)
    started = time.perf_counter()
    for t in threads:
        t.join(timeout)
    return time.perf_counter() - started


def split_url(url: str) -> str:
    """The path and query of a `next` link, whatever host the server put in it."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
