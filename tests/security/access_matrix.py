"""Who reaches what: every route of the site that names an object, asked by every role.

The routes come from the URLconf itself, so a new route that names an object and is missing from
the expected table (tests/security/test_access_matrix.py) fails the suite. The objects are the
demo's: the demo patient's own records, appointments, orders, claims..., treated by the demo
doctor. Each answer is put in one class:

    A  allowed: the view ran for this person (2xx, a redirect that is not to the login page,
       or a refusal about the request itself: 400, 409, 410)
    H  hidden: exactly the answer (status and body) for an id that does not exist
    F  forbidden: 403, the role may not use this route at all
    L  login: signed out, asked to sign in (401, or a redirect to the login page)
    M  method not allowed: 405
    X  anything else: a 404 that differs from a missing id's (it tells that the object exists),
       or a server error. Never expected.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.demo import (
    DEMO_ADMIN_EMAIL,
    DEMO_CLAIMS_OFFICER_EMAIL,
    DEMO_DOCTOR_EMAIL,
    DEMO_PATIENT2_EMAIL,
    DEMO_PATIENT_EMAIL,
    DEMO_PHARMACIST_EMAIL,
)
from accounts.models import User
from tests.accounts.factories import activate_totp

# The order the roles ask in: those who should be refused first, so that what the allowed
# ones change (a cancelled appointment, a removed cart line) cannot hide a refusal.
ROLES: tuple[str, ...] = (
    "anonymous",
    "other_patient",
    "other_doctor",
    "pharmacist",
    "claims_officer",
    "operator",
    "doctor",
    "patient",
)
ROLE_EMAILS = {
    "patient": DEMO_PATIENT_EMAIL,
    "other_patient": DEMO_PATIENT2_EMAIL,
    "doctor": DEMO_DOCTOR_EMAIL,
    # A practising doctor with no part in the demo patient's care (doctor2 and doctor3 are the
    # care-team demo's specialist and partner clinic doctor).
    "other_doctor": "doctor5@xinglin.test",
    "pharmacist": DEMO_PHARMACIST_EMAIL,
    "claims_officer": DEMO_CLAIMS_OFFICER_EMAIL,
    "operator": DEMO_ADMIN_EMAIL,
}
# Methods in the order they are asked: what removes an object comes last.
METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE")
MISSING_ID = 987_654_321

# Routes whose parameters are not objects of the site: tokens and keys that are their own
# secret, a provider's name, a file path.
NOT_OBJECT_ROUTES = frozenset(
    {
        "payments_api:webhook",
        "account_confirm_email",
        "account_reset_password_from_key",
        "hospital:prescription-public-verify",
        "hospital:doctor-credential-upload",
        "",
    }
)


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    parameters: tuple[str, ...]
    methods: tuple[str, ...]


def _view_methods(callback: Any) -> tuple[str, ...]:
    """The methods a view answers: a class-based (DRF or Django) view says so; a function view
    is asked GET and POST."""
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return ("GET", "POST")
    return tuple(method for method in METHODS if hasattr(view_class, method.lower()))


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            parameters = tuple(re.findall(r"<(?:\w+:)?(\w+)>", pattern)) + tuple(
                re.findall(r"\(\?P<(\w+)>", pattern)
            )
            name = namespace + (entry.name or "")
            if not pattern.startswith("admin/"):
                yield Route(name, pattern, parameters, _view_methods(entry.callback))


def object_routes() -> list[Route]:
    """Every route outside the admin that names an object, from the URLconf."""
    return [
        route
        for route in _walk(get_resolver().url_patterns)
        if route.parameters and route.name not in NOT_OBJECT_ROUTES
    ]


def list_routes() -> list[Route]:
    """Every route outside the admin that is read with GET and names no object: lists, queues,
    dashboards, searches and forms."""
    return [
        route
        for route in _walk(get_resolver().url_patterns)
        if not route.parameters and "GET" in route.methods
    ]


def signed_in_clients() -> dict[str, Client]:
    """A browser per role; staff have TOTP set up, as the site requires of them."""
    clients = {"anonymous": Client(raise_request_exception=False)}
    for role, email in ROLE_EMAILS.items():
        user = User.objects.get(email=email)
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP)
        if role not in ("patient", "other_patient") and not totp.exists():
            activate_totp(user)
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients[role] = client
    return clients


def classify(response: Any, missing: Any) -> str:
    status = response.status_code
    if status >= 500 or status in (301, 308):
        return "X"
    if status == 401 or (status == 302 and "/accounts/login/" in response.get("Location", "")):
        return "L"
    if status == 404:
        same = status == missing.status_code and response.content == missing.content
        return "H" if same else "X"
    if status == 403:
        return "F"
    if status == 405:
        return "M"
    return "A"


def _request(client: Client, method: str, path: str) -> Any:
    call: Callable[..., Any] = getattr(client, method.lower())
    if method == "GET":
        return call(path)
    return call(path, data={}, content_type="application/json")


def _missing_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        key: uuid.UUID(int=MISSING_ID) if isinstance(value, uuid.UUID) else MISSING_ID
        for key, value in kwargs.items()
    }


def observe(route: Route, kwargs: dict[str, Any], clients: dict[str, Client]) -> dict[str, str]:
    """For each method the route answers: one letter per role, in ROLES order."""
    path = reverse(route.name, kwargs=kwargs)
    missing_path = reverse(route.name, kwargs=_missing_kwargs(kwargs))
    seen: dict[str, str] = {}
    for method in route.methods:
        letters = []
        for role in ROLES:
            client = clients[role]
            missing = _request(client, method, missing_path)
            letters.append(classify(_request(client, method, path), missing))
        seen[method] = "".join(letters)
    return seen
