"""Writes of audit: appending to the chained access log."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from audit.models import AccessLogEntry
from core.actors import SystemActor, acting_user
from core.request_context import client_ip_var, request_id_var

# Key of the PostgreSQL advisory lock that serialises appends to the chain ("AUDITLOG").
CHAIN_LOCK_KEY = 0x41554449544C4F47

OUTCOMES = frozenset(AccessLogEntry.Outcome.values)
ACTIONS = frozenset(AccessLogEntry.Action.values)


def _actor_role(actor: Any) -> str:
    if isinstance(actor, SystemActor):
        return actor.role_name
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "anonymous"
    names = sorted(actor.role_names)
    if actor.is_superuser:
        names.insert(0, "superuser")
    return ",".join(names)


def _lock_chain() -> None:
    """Only one writer may extend the chain at a time, or two rows would share a predecessor.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: transactions are IMMEDIATE (see
    settings), so the write lock is already held from the start of the transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


@dataclass
class RequestAudit:
    """What the access log knows of the request being served (set by AccessLogMiddleware)."""

    route_name: str = ""  # set when the route carries health data (audit.routes)
    object_id: str = ""
    # How deep in transactions the request started (a test runs inside one).
    base_depth: int = 0
    # Each row recorded, and whether it was outside any transaction the request opened (then
    # it stands for sure; one inside may yet be rolled back with a failed operation).
    entries: list[tuple[AccessLogEntry, bool]] = field(default_factory=list)
    # The view found nothing to show (an empty poll of a chat): no health data was read.
    nothing_read: bool = False

    def recorded_entry(self) -> AccessLogEntry | None:
        """The row this request recorded, if it still stands."""
        for entry, durable in self.entries:
            if durable:
                return entry
        if not self.entries:
            return None
        ids = [entry.pk for entry, _durable in self.entries]
        return AccessLogEntry.objects.filter(pk__in=ids).order_by("sequence").first()

    def recorded_entry_stands(self) -> bool:
        return self.recorded_entry() is not None


request_audit_var: contextvars.ContextVar[RequestAudit | None] = contextvars.ContextVar(
    "request_audit", default=None
)


# Largest value of the patient id column (a 64-bit signed integer).
PATIENT_ID_MAX = 2**63 - 1


def access_log_record(
    *,
    actor: Any,
    patient_id: int | None,
    object_type: str,
    object_id: str | int | None,
    action: str,
    outcome: str = "success",
    detail: str = "",
) -> AccessLogEntry:
    """Appends one entry to the access log, chained to the one before it.

    Called inside a caller's transaction, the entry commits or rolls back with it, and the
    chain stays locked until then: record at the end of the operation, after its own row
    locks. Record refusals (denied, not found) outside the transaction that is rolled back.
    """
    audit = request_audit_var.get()
    if audit is not None and audit.route_name:
        # A request to a health-data route is one row: a view that reads several parts of a
        # record (the consultation, its messages, the patient's allergies) is one access.
        already = audit.recorded_entry()
        if already is not None:
            return already
    if action not in ACTIONS:
        raise ValueError(f"unknown access log action {action!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown access log outcome {outcome!r}")
    if patient_id is not None and not 0 < patient_id <= PATIENT_ID_MAX:
        # A probe for an id no patient can have (it would not fit the column) is still recorded.
        detail = f"requested patient id {patient_id}; {detail}".rstrip("; ")
        patient_id = None
    durable = audit is not None and len(connection.atomic_blocks) <= audit.base_depth
    with transaction.atomic():
        _lock_chain()
        last = AccessLogEntry.objects.order_by("-sequence").only("sequence", "entry_hmac").first()
        entry = AccessLogEntry(
            sequence=(last.sequence + 1) if last else 1,
            previous_hmac=last.entry_hmac if last else "",
            occurred_at=timezone.now(),
            actor=acting_user(actor),
            actor_role=_actor_role(actor)[:100],
            patient_id=patient_id,
            object_type=object_type[:100],
            object_id="" if object_id is None else str(object_id)[:64],
            action=action,
            outcome=outcome,
            request_id=request_id_var.get()[:64],
            client_ip=client_ip_var.get()[:45],
            detail=detail[:500],
        )
        entry.entry_hmac = entry.compute_hmac()
        entry.save(force_insert=True)
    if audit is not None:
        audit.entries.append((entry, durable))
    return entry


def access_log_nothing_read() -> None:
    """Tells the access log middleware that this request, allowed, read no health data (a chat
    polled every few seconds with nothing new), so it records no row."""
    audit = request_audit_var.get()
    if audit is not None:
        audit.nothing_read = True


def access_log_for_request(
    request: Any,
    *,
    patient_id: int | None,
    object_type: str,
    object_id: str | int | None,
    action: str,
    outcome: str = "success",
    detail: str = "",
) -> AccessLogEntry:
    """The same, for a view: the actor is the request's user (request id and IP come from the
    request context the middleware set)."""
    return access_log_record(
        actor=getattr(request, "user", None),
        patient_id=patient_id,
        object_type=object_type,
        object_id=object_id,
        action=action,
        outcome=outcome,
        detail=detail,
    )


def access_log_list(request: Any, *, object_type: str, detail: str) -> AccessLogEntry:
    """A list view's one row: no single patient or object, what was listed said in `detail`."""
    return access_log_for_request(
        request,
        patient_id=None,
        object_type=object_type,
        object_id=None,
        action="list",
        detail=detail,
    )
