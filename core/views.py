"""Operations probes: /healthz says the process is alive, /readyz that its dependencies answer."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache

from config.celery import app as celery_app
from config.celery import ensure_broker_folders
from core.exceptions import (
    DATABASE_UNAVAILABLE,
    RETRY_AFTER_SECONDS,
    UNAVAILABLE_MESSAGE,
    database_unavailable_body,
)

logger = logging.getLogger(__name__)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/_allauth/"))


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """An unknown path under the API answers in JSON like every other API error."""
    if _is_api(request):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """JSON for the API, a page that needs neither the database nor a template otherwise."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if _is_api(request):
        return JsonResponse(database_unavailable_body(), status=503, headers=headers)
    message = escape(str(UNAVAILABLE_MESSAGE))
    page = f"<!doctype html><title>503</title><h1>503</h1><p>{message}</p>"
    return HttpResponse(page, status=503, headers=headers)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this handler inside its `except` block, so the exception is at hand; a
    # database error raised outside a view (sessions, authentication) arrives only here.
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    if _is_api(request):
        return JsonResponse(
            {"detail": _("Internal server error."), "code": "server_error"}, status=500
        )
    return defaults.server_error(request)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    cache.set("readyz-probe", "1", timeout=10)
    if cache.get("readyz-probe") != "1":
        raise RuntimeError("cache did not return what was written")


def _check_broker() -> None:
    if str(celery_app.conf.broker_url).startswith("filesystem://"):
        # Connecting to the filesystem transport always succeeds; its folder is what can fail.
        # Publishing creates a missing folder, so here too.
        ensure_broker_folders()
        folder = (celery_app.conf.broker_transport_options or {}).get("data_folder_out", "")
        if not folder or not os.access(folder, os.W_OK):
            raise RuntimeError(f"broker folder {folder!r} is not writable")
        return
    with celery_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "cache": _check_cache,
    "broker": _check_broker,
}


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict[str, object]] = {}
    for name, check in READINESS_CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as error:
            # The message can name hosts, ports and users; only the operators' log (and a
            # developer's DEBUG page) gets it, the public probe names the kind of failure.
            logger.warning("readiness check %s failed: %r", name, error)
            detail = f"{type(error).__name__}: {error}"[:300]
            results[name] = {
                "ok": False,
                "error": detail if settings.DEBUG else type(error).__name__,
            }
        else:
            results[name] = {"ok": True}
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    ready = all(result["ok"] for result in results.values())
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )
