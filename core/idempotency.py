"""Idempotency-Key support for POSTs that create money-moving objects.

Same key + same body → the first response again. Same key + different body → 422.
A duplicate arriving while the first is still running → 409 (retry later); the operation runs
once. Keys are scoped to the authenticated account and kept for IDEMPOTENCY_KEY_TTL: an older
record no longer counts (its key may be used afresh) and a periodic task deletes it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from core.exceptions import DomainError
from core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint(request: Request) -> str:
    # Parsing here raises ParseError for a malformed body, which the view answers with 400
    # before a key is spent on it.
    body: Any = request.data
    if hasattr(body, "lists"):  # a form or multipart QueryDict: keep every value of a key
        body = dict(body.lists())
    canonical = json.dumps(body, sort_keys=True, default=str, ensure_ascii=False)
    material = f"{request.method}\n{request.path}\n{canonical}"
    return hashlib.sha256(material.encode()).hexdigest()


def _error(status: int, code: str, detail: str) -> Response:
    return Response({"detail": detail, "code": code}, status=status)


def _in_progress() -> Response:
    return _error(
        409,
        "idempotency_request_in_progress",
        f"A request with this {HEADER} is still being processed; retry shortly.",
    )


def _claim(*, user: Any, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """A new IN_PROGRESS record for the key, or None when the account already holds one."""
    try:
        if connection.in_atomic_block:
            # In a caller's transaction, a savepoint keeps a duplicate key from breaking it.
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    user=user, key=key, request_fingerprint=fingerprint
                )
        # In autocommit the INSERT is its own transaction: one round trip, and the unique
        # constraint decides between concurrent duplicates.
        return IdempotencyRecord.objects.create(user=user, key=key, request_fingerprint=fingerprint)
    except IntegrityError:
        return None


def idempotency_keys_expire() -> int:
    """Deletes the records past IDEMPOTENCY_KEY_TTL (run periodically); returns how many."""
    expired_before = timezone.now() - settings.IDEMPOTENCY_KEY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=expired_before).delete()
    return deleted


def idempotent(view_method: Callable[..., Response]) -> Callable[..., Response]:
    """Decorates an APIView's `post` so it honours the Idempotency-Key header (optional)."""

    @functools.wraps(view_method)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if not key or not request.user.is_authenticated:
            return view_method(view, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return _error(400, "invalid", f"{HEADER} must be at most {MAX_KEY_LENGTH} characters.")
        if not key.isprintable():
            # A NUL or other control character cannot be stored (PostgreSQL rejects NUL).
            return _error(400, "invalid", f"{HEADER} must be printable characters.")

        fingerprint = _fingerprint(request)
        record = _claim(user=request.user, key=key, fingerprint=fingerprint)
        # Bounded: each pass either claims the key or answers from the record holding it.
        for _attempt in range(3):
            if record is not None:
                break
            existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            expired_before = timezone.now() - settings.IDEMPOTENCY_KEY_TTL
            if existing is None or existing.created_at < expired_before:
                # Freed by a failed first attempt, or expired and not yet swept: claim it anew.
                # The delete re-checks the age, so a fresh claim by a concurrent request stays.
                if existing is not None:
                    IdempotencyRecord.objects.filter(
                        pk=existing.pk, created_at__lt=expired_before
                    ).delete()
                record = _claim(user=request.user, key=key, fingerprint=fingerprint)
                continue
            if existing.request_fingerprint != fingerprint:
                return _error(
                    422,
                    "idempotency_key_reused",
                    f"This {HEADER} was already used with a different request.",
                )
            if existing.status == IdempotencyRecord.Status.IN_PROGRESS:
                return _in_progress()
            replay = Response(existing.response_body, status=existing.response_status)
            replay["Idempotent-Replayed"] = "true"
            return replay
        if record is None:
            return _in_progress()

        try:
            try:
                response = view_method(view, request, *args, **kwargs)
            except (DomainError, APIException, Http404) as refusal:
                # A refusal is an answer too: replay it rather than run the operation again.
                response = view.handle_exception(refusal)
        except Exception:
            # Nothing was done (the operation's own transaction rolled back): free the key.
            record.delete()
            raise
        if response.status_code >= 500:
            record.delete()
            return response
        record.status = IdempotencyRecord.Status.COMPLETED
        record.response_status = response.status_code
        record.response_body = json.loads(json.dumps(response.data, default=str))
        record.save(update_fields=["status", "response_status", "response_body"])
        return response

    return wrapper
