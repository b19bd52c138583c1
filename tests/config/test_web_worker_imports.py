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
import gc
import sys
import config.wsgi
print(gc.get_freeze_count(), "config.urls" in sys.modules)
from django.urls import get_resolver
get_resolver()._populate()
print(" ".join(sorted(sys.modules)))
"""


def _web_worker(tmp_path) -> tuple[str, set[str]]:
    """(what config.wsgi froze and whether it loaded the routes, modules imported once the
    routes are in use) for a production web worker."""
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
    startup, modules = result.stdout.split("\n", 1)
    return startup, set(modules.split())


def test_web_worker_does_not_import_webauthn(tmp_path):
    _startup, modules = _web_worker(tmp_path)
    assert "allauth.mfa" in modules  # the routes are there
    # We offer TOTP and recovery codes, not WebAuthn: allauth's WebAuthn views are loaded when
    # first used (accounts.allauth_urls, accounts.headless_urls).
    for heavy in ("fido2", "cryptography", "allauth.mfa.webauthn"):
        assert heavy not in modules, f"{heavy} is imported by every web worker"


def test_web_worker_loads_its_routes_at_start_and_freezes_them(tmp_path):
    # config.wsgi imports the URLconf and freezes what it loaded, so that the cyclic garbage
    # collector weighs each request's garbage against what requests allocate, not the site.
    startup, _modules = _web_worker(tmp_path)
    frozen, routes_loaded = startup.split()
    assert routes_loaded == "True"
    assert int(frozen) > 100_000
