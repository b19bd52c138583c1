"""`make run`'s supervisor for real: web, worker and beat start on the embedded default, and one
Ctrl-C stops all three — and the worker's pool — once, cleanly.

Every wait is bounded by one budget, so the test ends within about a minute even when stopping
hangs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

# A guard against a hang, not a speed target: migrating a new database and starting the web
# server, worker and beat take well over a minute on a busy 2-core machine.
BUDGET_SECONDS = 240

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_env(var_dir: Path) -> dict[str, str]:
    """What `make run` gives its processes: DEBUG=true, SQLite and the filesystem broker."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_SETTINGS_MODULE",
            "SECRET_KEY",
            "EMAIL_URL",
            "CELERY_TASK_ALWAYS_EAGER",
        }
    }
    return {**env, "DEBUG": "true", "XINGLIN_VAR_DIR": str(var_dir)}


def descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended, only its exit status waits to be read


def web_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_for(condition, deadline: float, what: str) -> None:
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def run_demo_until_ctrl_c(tmp_path: Path, ready_to_stop) -> tuple[int, str, set[int], float]:
    """Starts `run_demo` as a terminal's foreground job, presses Ctrl-C once `ready_to_stop(port,
    supervisor pid, log text)` holds; returns the exit status, the output, the children seen and
    the deadline left for the checks."""
    deadline = time.monotonic() + BUDGET_SECONDS
    env = demo_env(tmp_path)
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [*manage, "migrate", "--noinput"],
        env=env,
        cwd=settings.BASE_DIR,
        check=True,
        capture_output=True,
        timeout=BUDGET_SECONDS,
    )
    port = free_port()
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        supervisor = subprocess.Popen(  # noqa: S603
            [*manage, "run_demo", "--addr", f"127.0.0.1:{port}", "--concurrency", "1"],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own group, like a terminal's foreground job: Ctrl-C goes to the whole group.
            process_group=0,
        )
    processes: set[int] = set()
    try:
        while not ready_to_stop(port, supervisor.pid, log_path.read_text(errors="replace")):
            assert time.monotonic() < deadline, "timed out waiting for the moment to stop"
            processes |= descendants(supervisor.pid)
            time.sleep(0.01)
        processes |= descendants(supervisor.pid)
        os.killpg(supervisor.pid, signal.SIGINT)
        returncode = supervisor.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
            for pid in descendants(supervisor.pid):
                os.kill(pid, signal.SIGKILL)
    return returncode, log_path.read_text(errors="replace"), processes, deadline


def assert_stopped_cleanly(returncode: int, output: str, processes: set[int], deadline: float):
    assert returncode == 0, output
    wait_for(lambda: not any(alive(pid) for pid in processes), deadline, "every child to end")
    assert "Traceback" not in output, output
    assert "RecursionError" not in output, output
    assert "Killed after the grace period" not in output, output
    assert output.count("Warm shutdown") <= 1, output
    assert "Stopped." in output


def test_one_ctrl_c_stops_web_worker_and_beat_cleanly(tmp_path):
    def serving_with_the_pool(port: int, supervisor_pid: int, output: str) -> bool:
        # web, beat, the worker and its one pool process
        return web_answers(port) and len(descendants(supervisor_pid)) >= 4

    assert_stopped_cleanly(*run_demo_until_ctrl_c(tmp_path, serving_with_the_pool))


def test_ctrl_c_while_beat_is_building_its_schedule_stops_everything_cleanly(tmp_path):
    """Beat logs that it starts just before it builds its schedule from the settings: a stop
    at that moment used to leave tracebacks and a beat killed after the grace period."""

    def beat_starting(port: int, supervisor_pid: int, output: str) -> bool:
        return "beat: Starting..." in output

    assert_stopped_cleanly(*run_demo_until_ctrl_c(tmp_path, beat_starting))
