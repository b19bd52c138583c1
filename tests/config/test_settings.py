"""The production settings are safe by default: the deploy check passes with only the
required environment given, and refuses to start without a secret key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[2]
HOST_ENVIRONMENT = frozenset({"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV"})


def _production_env(**overrides: str) -> dict[str, str]:
    # What a production host gives the process, and nothing the test run itself has set.
    env = {key: value for key, value in os.environ.items() if key in HOST_ENVIRONMENT}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="a-long-random-production-secret-0123456789-abcdefghijklmnop",
        ALLOWED_HOSTS="hospital.example.cn",
        DATABASE_URL="postgres://xinglin@db.internal:5432/xinglin",
        REDIS_URL="redis://cache.internal:6379/0",
        SITE_URL="https://hospital.example.cn",
    )
    env.update(overrides)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_production_environment():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and code with fixed arguments
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_deploy_check_warns_while_links_in_mail_would_not_point_to_the_public_site():
    env = _production_env()
    del env["SITE_URL"]
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "xinglin.W001" in result.stderr + result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = _production_env()
    env.pop("SECRET_KEY")

    deploy_check = _manage("check", "--deploy", env=env)
    assert deploy_check.returncode != 0
    assert "xinglin.E001" in deploy_check.stderr + deploy_check.stdout

    web = _run("-c", "import config.wsgi", env=env)
    assert web.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off (serving web requests)" in web.stderr, (
        web.stderr[-4000:]
    )

    command = _manage("prescription_verify", env=env)
    assert command.returncode != 0
    assert "SECRET_KEY must be set" in command.stderr


def test_worker_refuses_to_start_without_secret_key(tmp_path):
    env = _production_env(
        REDIS_URL="",
        DATABASE_URL=f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        XINGLIN_VAR_DIR=str(tmp_path / "var"),
    )
    env.pop("SECRET_KEY")
    worker = _run("-m", "celery", "-A", "config", "worker", "--pool=solo", env=env)
    assert worker.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off (running Celery)" in worker.stderr, (
        worker.stderr[-6000:]
    )


def test_schema_commands_need_no_environment_at_all():
    bare = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "")}
    result = _manage("makemigrations", "--check", "--dry-run", env=bare)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def test_locale_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert "en" in dict(settings.LANGUAGES)
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


@pytest.mark.skipif(
    not settings.USING_POSTGRES, reason="persistent connections apply to PostgreSQL"
)
def test_persistent_connections_in_production():
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
