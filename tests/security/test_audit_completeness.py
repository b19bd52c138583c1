"""Every read or write of health data, and every refused attempt at it, is one access-log row.

The routes and the answers are the access matrix's (tests/security/test_access_matrix.py): for
each route that carries health data, each method and each role whose answer is allowed (A),
hidden (H) or forbidden (F), the request adds exactly one row to the access log. Signed-out
requests (L: sent to the login page before any object is looked up) and methods a route does not
answer (M) touch no health data and are not counted.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pprint import pformat

from django.core.management import call_command
from django.db.models import Max
from django.urls import reverse

from audit.models import AccessLogEntry
from audit.routes import NOT_HEALTH_DATA, is_health_data_route
from tests.security.access_matrix import (
    NOT_OBJECT_ROUTES,
    ROLES,
    _missing_kwargs,
    _request,
    classify,
    object_routes,
    signed_in_clients,
)
from tests.security.demo_objects import demo_objects
from tests.security.test_access_matrix import EXPECTED

COUNTED = frozenset("AHF")


def _head() -> int:
    return AccessLogEntry.objects.aggregate(head=Max("sequence"))["head"] or 0


def test_the_routes_without_health_data_are_routes_of_the_site():
    assert sorted(NOT_HEALTH_DATA.keys() - EXPECTED.keys() - NOT_OBJECT_ROUTES) == []


def test_health_data_routes_are_the_care_pharmacy_and_insurance_object_routes():
    health = {name for name in EXPECTED if is_health_data_route(name)}
    assert "hospital_api:prescription-detail" in health
    assert "insurance_api:claim-detail" in health
    assert "hospital_api:mdt-detail" in health
    assert "pharmacy_api:product-detail" not in health
    # Accounts, notices and payments are not care: their routes are never health data.
    assert not {
        name
        for name in health
        if name.split(":")[0]
        not in {
            "hospital",
            "hospital_api",
            "insurance",
            "insurance_api",
            "pharmacy",
            "pharmacy_api",
        }
    }


def test_each_health_data_request_adds_one_access_log_row(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    objects = demo_objects()
    clients = signed_in_clients()

    wrong: dict[str, dict[str, str]] = {}
    for removing in (False, True):
        for route in object_routes():
            if not is_health_data_route(route.name):
                continue
            methods = tuple(m for m in route.methods if (m == "DELETE") == removing)
            kind, answers = EXPECTED[route.name]
            kwargs = dict(zip(route.parameters, (objects[k] for k in kind.split("+")), strict=True))
            path = reverse(route.name, kwargs=kwargs)
            missing_path = reverse(route.name, kwargs=_missing_kwargs(kwargs))
            for method in replace(route, methods=methods).methods:
                counts = []
                for role in ROLES:
                    missing = _request(clients[role], method, missing_path)
                    before = _head()
                    letter = classify(_request(clients[role], method, path), missing)
                    added = _head() - before
                    counts.append(str(added) if letter in COUNTED else ".")
                    if letter in COUNTED and added != 1:
                        wrong.setdefault(route.name, {})[method] = ""
                if route.name in wrong and method in wrong[route.name]:
                    wrong[route.name][method] = f"{answers[method]} rows {''.join(counts)}"
    assert wrong == {}, pformat(wrong, width=100)
