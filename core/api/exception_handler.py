"""The one exception handler for every API view.

validation → 400 with field errors; malformed JSON → 400; not found / not yours → 404;
domain state conflict → 409; throttled → 429; database unreachable → 503. Each answer is JSON
with a `detail` a person can read and a machine-readable `code`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import (
    DATABASE_UNAVAILABLE,
    RETRY_AFTER_SECONDS,
    DomainError,
    database_unavailable_body,
)

logger = logging.getLogger(__name__)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DATABASE_UNAVAILABLE):
        logger.error("database unavailable: %s: %s", type(exc).__name__, exc)
        return Response(
            database_unavailable_body(),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, DomainError):
        message = exc.message_for_people()
        if message != exc.message:
            logger.error("%s answered %s: %s", exc.code, exc.status_code, exc.message)
        body: dict[str, Any] = {"detail": message, "code": exc.code}
        if exc.field:
            body["errors"] = {exc.field: [message]}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(
            {"detail": "Invalid input.", "code": "invalid", "errors": errors},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        response.data = {"detail": "Invalid input.", "code": "invalid", "errors": errors}
    elif isinstance(exc, exceptions.ParseError):
        response.data = {"detail": str(exc.detail), "code": "malformed_request"}
    elif isinstance(exc, exceptions.APIException):
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = {
            "detail": str(detail),
            "code": exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code,
        }
        wait = getattr(exc, "wait", None)
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            response.data["retry_after_seconds"] = int(wait)
    return response
