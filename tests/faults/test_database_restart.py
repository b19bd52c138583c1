"""PostgreSQL restarts while the site is under load: while it is down every answer is a 503
(JSON on the API, a plain page elsewhere), never a 500; once it is back the same processes
answer 200 again with nobody restarting them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.faults.servers import PostgresServer, binary, free_port

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.django_db]

GUNICORN = Path(sys.executable).with_name("gunicorn")
API = "/api/v1/products/"
PAGE = "/shop/"
LOAD_THREADS = 4
DOWN_SECONDS = float(os.environ.get("FAULT_DATABASE_DOWN_SECONDS", "5"))
RECOVERY_SECONDS = 20


def fetch(base: str, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:  # noqa: S310 - 127.0.0.1
            return response.status, response.headers.get_content_type(), ""
    except urllib.error.HTTPError as error:
        body = error.read().decode(errors="replace")
        return error.code, error.headers.get_content_type(), body
    except OSError as error:  # not listening yet, or the connection broke: no answer at all
        return 0, "", str(error)


def copy_test_schema(server: PostgresServer) -> str:
    """The suite's migrated database, dumped into the test's own cluster (a migrate from
    nothing would take minutes)."""
    db = connection.settings_dict
    folder = str(Path(server.bin[0]).parent)
    pg_dump, psql = binary("pg_dump", folder), binary("psql", folder)
    source = ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"]]
    target = ["-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres"]
    subprocess.run([psql, *target, "-d", "postgres", "-qc", "CREATE DATABASE xinglin"], check=True)  # noqa: S603
    dump = subprocess.run(  # noqa: S603
        [pg_dump, *source, "--no-owner", "--no-privileges", db["NAME"]],
        check=True,
        capture_output=True,
        env={**os.environ, "PGPASSWORD": db["PASSWORD"] or ""},
    )
    subprocess.run(  # noqa: S603
        [psql, *target, "-d", "xinglin", "-q", "-v", "ON_ERROR_STOP=1"],
        input=dump.stdout,
        check=True,
        capture_output=True,
    )
    return server.url("xinglin")


def start_site(database_url: str, port: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "false",
    }
    return subprocess.Popen(  # noqa: S603 - our own venv's gunicorn, fixed arguments
        [
            str(GUNICORN),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            str(LOAD_THREADS),
            "--timeout",
            "60",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_the_site_answers_503_while_the_database_restarts_and_recovers_alone(tmp_path):
    server = PostgresServer()
    server.init()
    server.start()
    site = None
    try:
        database_url = copy_test_schema(server)
        port = free_port()
        log_path = tmp_path / "site.log"
        site = start_site(database_url, port, log_path)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while fetch(base, API)[0] != 200:
            assert site.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")[-3000:]
            time.sleep(0.5)

        phase = ["up"]
        answers: Counter[tuple[str, str, int, str]] = Counter()
        unavailable_bodies: list[str] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                for path in (API, PAGE):
                    status, content_type, body = fetch(base, path)
                    answers[(phase[0], path, status, content_type)] += 1
                    if status == 503 and path == API:
                        unavailable_bodies.append(body)

        threads = [threading.Thread(target=load) for _ in range(LOAD_THREADS)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(2)
            phase[0] = "down"
            server.stop()
            time.sleep(DOWN_SECONDS)
            phase[0] = "restarting"
            server.start()
            phase[0] = "back"
            recovered_by = time.monotonic() + RECOVERY_SECONDS
            while time.monotonic() < recovered_by:
                if fetch(base, API)[0] == 200 and fetch(base, PAGE)[0] == 200:
                    break
                time.sleep(0.2)
            phase[0] = "recovered"
            time.sleep(2)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
    finally:
        if site is not None:
            site.terminate()
            site.wait(timeout=15)
        server.stop()
        server.remove()

    print(f"answers by phase, path, status, type: {sorted(answers.items())}")
    statuses = {(phase, path, status) for (phase, path, status, _type) in answers}
    assert not any(status == 500 for (_p, _path, status) in statuses), answers
    assert {s for (p, _path, s) in statuses if p == "up"} == {200}, answers
    assert ("down", API, 503) in statuses, answers
    assert ("down", PAGE, 503) in statuses, answers
    assert {s for (p, _path, s) in statuses if p == "down"} <= {200, 503}, answers
    assert {s for (p, _path, s) in statuses if p == "recovered"} == {200}, answers
    assert unavailable_bodies
    assert {json.loads(body)["code"] for body in unavailable_bodies} == {"service_unavailable"}
    assert {t for (p, path, s, t) in answers if s == 503 and path == API} == {"application/json"}
    assert {t for (p, path, s, t) in answers if s == 503 and path == PAGE} == {"text/html"}
