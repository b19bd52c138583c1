"""One access-log row for each request to a route that carries health data.

Views record what they know best (whose record, which object, what they did). This middleware
sees every request to such a route and records the row when the view did not, as happens for a
refusal (another patient's id is a 404 before any view code runs) or for a write whose view
left the log to nobody. A view that would record twice in one request is held to its first row
(audit.services.access_log_record).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse

from audit.models import AccessLogEntry
from audit.routes import is_health_data_route
from audit.services import RequestAudit, access_log_record, request_audit_var

ACTIONS = {
    "GET": AccessLogEntry.Action.READ,
    "HEAD": AccessLogEntry.Action.READ,
    "POST": AccessLogEntry.Action.UPDATE,
    "PUT": AccessLogEntry.Action.UPDATE,
    "PATCH": AccessLogEntry.Action.UPDATE,
    "DELETE": AccessLogEntry.Action.DELETE,
}


def _outcome(status: int) -> str:
    if status == 403:
        return AccessLogEntry.Outcome.DENIED
    if status == 404:
        return AccessLogEntry.Outcome.NOT_FOUND
    # The view ran for this person: it answered, or refused the request itself (400, 409...).
    return AccessLogEntry.Outcome.SUCCESS


def _is_sign_in_prompt(request: HttpRequest, response: HttpResponse) -> bool:
    """Signed out: sent to sign in before any object is looked up. Not recorded, so that no
    one can fill the log (and hold its chain lock) without an account."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return response.status_code in (401, 403) or (
            response.status_code == 302 and "/accounts/login/" in response.get("Location", "")
        )
    return False


class AccessLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        audit = RequestAudit(base_depth=len(connection.atomic_blocks))
        token = request_audit_var.set(audit)
        try:
            response = self.get_response(request)
        finally:
            request_audit_var.reset(token)
        if audit.route_name and not audit.nothing_read and not audit.recorded_entry_stands():
            self._record(request, response, audit)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: dict[str, Any]
    ) -> None:
        match = request.resolver_match
        if match is not None and view_kwargs and is_health_data_route(match.view_name):
            audit = request_audit_var.get()
            if audit is not None:
                audit.route_name = match.view_name
                audit.object_id = str(next(iter(view_kwargs.values())))

    def _record(self, request: HttpRequest, response: HttpResponse, audit: RequestAudit) -> None:
        status = response.status_code
        if status == 405 or _is_sign_in_prompt(request, response):
            return
        access_log_record(
            actor=getattr(request, "user", None),
            patient_id=None,
            object_type=audit.route_name,
            object_id=audit.object_id,
            action=ACTIONS.get(request.method or "", AccessLogEntry.Action.READ),
            outcome=_outcome(status),
            detail=f"{request.method} answered {status}",
        )
