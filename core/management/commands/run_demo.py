"""Runs the demo's three processes — the web server, a Celery worker and Celery beat — and stops
them together (`make run`).

Each of the three gets a process group of its own, so the terminal's Ctrl-C reaches only this
process, which then sends each of them one SIGTERM: a signal sent to the whole group instead
reaches every process again and again (the worker's pool too), which ended in a flood of warm
shutdowns, a RecursionError and a worker left running. Whoever is still there after the grace
period is killed together with its group (the worker's pool processes with it); a second Ctrl-C
does that at once. When one of the three stops on its own, the others are stopped too and the
exit status says so.

Beat is stopped only once it has built its schedule (it touches a file then, bounded by the
grace period): a SIGTERM while its scheduler is still being built makes celery's handler build
a second one on a closing database, which logged tracebacks and hung until it was killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.celery import BEAT_READY_FILE_VARIABLE, ensure_broker_folders

POLL_SECONDS = 0.05


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and beat; Ctrl-C stops all three."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port of the web server")
        parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
        parser.add_argument(
            "--grace", type=float, default=20.0, help="seconds to wait before killing"
        )

    def handle(self, *args: object, **options: object) -> None:
        ensure_broker_folders()
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        beat_ready_file = Path(settings.VAR_DIR) / f"beat-ready-{os.getpid()}"
        beat_ready_file.unlink(missing_ok=True)
        stop_signals: list[int] = []

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop_signals.append(signum)

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)

        celery = [sys.executable, "-m", "celery", "-A", "config"]
        commands = {
            "worker": [
                *celery,
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={options['concurrency']}",
            ],
            "beat": [*celery, "beat", "--loglevel=WARNING"],
            "web": [
                sys.executable,
                str(settings.BASE_DIR / "manage.py"),
                "runserver",
                str(options["addr"]),
                "--noreload",
            ],
        }
        environments = {"beat": {**os.environ, BEAT_READY_FILE_VARIABLE: str(beat_ready_file)}}
        children = {
            # Fixed arguments: our own interpreter and entry points.
            name: subprocess.Popen(  # noqa: S603
                command, cwd=settings.BASE_DIR, env=environments.get(name), process_group=0
            )
            for name, command in commands.items()
        }
        self.stdout.write(
            ", ".join(f"{name} pid {child.pid}" for name, child in children.items())
            + f"; serving http://{options['addr']}/ — Ctrl-C stops all three."
        )

        ended_by_itself = ""
        while not stop_signals and not ended_by_itself:
            ended_by_itself = next(
                (name for name, child in children.items() if child.poll() is not None), ""
            )
            time.sleep(POLL_SECONDS)

        self.stdout.write("Stopping web, worker and beat…")
        deadline = time.monotonic() + float(str(options["grace"]))
        for name, child in children.items():
            if name != "beat" and child.poll() is None:
                child.send_signal(signal.SIGTERM)
        beat = children["beat"]
        while (
            beat.poll() is None
            and not beat_ready_file.exists()
            and time.monotonic() < deadline
            and len(stop_signals) < 2
        ):
            time.sleep(POLL_SECONDS)
        if beat.poll() is None:
            beat.send_signal(signal.SIGTERM)
        while (
            any(child.poll() is None for child in children.values())
            and time.monotonic() < deadline
            and len(stop_signals) < 2
        ):
            time.sleep(POLL_SECONDS)
        killed = [name for name, child in children.items() if child.poll() is None]
        for child in children.values():
            # Also whatever a child left behind in its group (a pool process of a dead worker).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()

        beat_ready_file.unlink(missing_ok=True)
        if ended_by_itself:
            raise CommandError(
                f"{ended_by_itself} stopped on its own (exit status "
                f"{children[ended_by_itself].returncode}); stopped the others."
            )
        if killed:
            self.stdout.write(f"Killed after the grace period: {', '.join(killed)}.")
        self.stdout.write("Stopped.")
