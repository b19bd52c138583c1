from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from core.request_context import client_ip, client_ip_var, new_request_id, request_id_var


class RequestContextMiddleware:
    """Gives each request an id (echoed in X-Request-ID) and records the client IP."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = new_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        # Left set until the response is finished (see core.apps), so that the lines Django
        # logs after the middleware returns (4xx warnings) still carry the request id.
        request_id_var.set(request_id)
        client_ip_var.set(client_ip(request))
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def clear_request_context(**kwargs: object) -> None:
    """Connected to request_finished: nothing logged after a request may carry its id."""
    request_id_var.set("")
    client_ip_var.set("")


class RequestLimitsMiddleware:
    """Refuses, with a JSON error and before anything reads the request: an oversized body
    (413), an unreadable Content-Length (400), and a query string carrying a NUL character
    (400), which no text column can store or be compared with (PostgreSQL rejects it).

    Multipart uploads get the larger UPLOAD_BODY_LIMIT (each upload checks its own file size).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(
                {"detail": "Invalid Content-Length header.", "code": "malformed_request"},
                status=400,
            )
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            return JsonResponse(
                {
                    "detail": "The query string contains a NUL character.",
                    "code": "malformed_request",
                },
                status=400,
            )
        is_upload = request.content_type == "multipart/form-data"
        limit = settings.UPLOAD_BODY_LIMIT if is_upload else settings.REQUEST_BODY_LIMIT
        if length > limit:
            return JsonResponse(
                {
                    "detail": f"Request body too large: {length} bytes; the limit is {limit}.",
                    "code": "request_too_large",
                    "limit_bytes": limit,
                },
                status=413,
            )
        return self.get_response(request)


class NoStoreMiddleware:
    """Tells browsers and proxies to keep no copy of any response the application itself
    renders: pages, API answers and PDFs carry health records, prescriptions, orders and
    payments, and a shared computer's back button or a proxy must not show them to the next
    person. A view that states its own caching keeps it. Static files never get here:
    WhiteNoise answers them before this middleware, with their long-lived caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "private, no-store"
        return response
