"""A web worker loads what serving pages and the API needs, not what a rare path needs: those
modules are imported where they are used. Each is megabytes in every gunicorn worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

# What the worker does before its first request is served, and the routes it needs then.
WORKER = """
import sys
import config.wsgi
from django.urls import get_resolver
get_resolver()._populate()
print(" ".join(sorted(sys.modules)))
"""


def test_web_worker_does_not_import_webauthn(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="a-long-random-production-secret-0123456789-abcdefghijklmnop",
        ALLOWED_HOSTS="hospital.example.cn",
        DATABASE_URL=f"sqlite:///{tmp_path / 'web.sqlite3'}",
        REDIS_URL="",
        XINGLIN_VAR_DIR=str(tmp_path / "var"),
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and code with fixed arguments
        [sys.executable, "-c", WORKER],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    modules = set(result.stdout.split())
    assert "allauth.mfa" in modules  # the routes are there
    # We offer TOTP and recovery codes, not WebAuthn: allauth's WebAuthn views are loaded when
    # first used (accounts.allauth_urls, accounts.headless_urls).
    for heavy in ("fido2", "cryptography", "allauth.mfa.webauthn"):
        assert heavy not in modules, f"{heavy} is imported by every web worker"
