"""Every operation of the API schema, fed generated input (valid and invalid values, strange
characters, huge numbers) by each role signed in: patient, doctor, pharmacist, claims officer
and operator. The answer may be any documented error, never a server error. Bounded: a few
examples per operation, the same ones on every run."""

from __future__ import annotations

import json

import pytest
import schemathesis
import werkzeug.test
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from accounts.roles import Role
from tests.accounts.factories import (
    PatientProfileFactory,
    UserFactory,
    activate_totp,
    totp_code,
    verified_email,
)

pytestmark = pytest.mark.django_db

# Per operation and role: five roles × every operation; at 8 one role took about 7 minutes on a
# busy two-core machine, at 5 the five together stay a small part of the CI run.
EXAMPLES_PER_OPERATION = 5
FACTORY_PASSWORD = "Xinglin-test-2026"  # the test factories' password
# Requests made straight to the WSGI application name this host.
HOST = "localhost"


def _api_schema() -> schemathesis.BaseSchema:
    """The schema /api/schema/ serves, built in-process, with requests going to the WSGI app."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    document = json.loads(OpenApiJsonRenderer().render(generated))
    schema = schemathesis.openapi.from_dict(document)
    schema.app = get_wsgi_application()
    return schema


schema = _api_schema()


@pytest.fixture(autouse=True)
def connections_kept_open():
    """Calls straight to the WSGI application send request_started/finished, on which Django
    closes the database connection, and the test's transaction with it. Django's test client
    keeps them apart the same way (and connects them again after each of its requests, so
    this module makes every request through the WSGI application)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=[role.value for role in Role])
def signed_in_headers(request, db, settings):
    """Signed in the way the app signs in: allauth's app login (with the TOTP code staff must
    give), its session token."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    account = verified_email(UserFactory(roles=[request.param]))
    PatientProfileFactory(account=account)
    is_staff_role = request.param != Role.PATIENT
    if is_staff_role:
        activate_totp(account)
    app = werkzeug.test.Client(schema.app)
    response = app.post(
        "/_allauth/app/v1/auth/login",
        json={"email": account.email, "password": FACTORY_PASSWORD},
    )
    if is_staff_role:
        assert response.status_code == 401, response.get_data()  # the second factor is due
        token = response.get_json()["meta"]["session_token"]
        response = app.post(
            "/_allauth/app/v1/auth/2fa/authenticate",
            json={"code": totp_code()},
            headers={"X-Session-Token": token},
        )
    assert response.status_code == 200, response.get_data()
    return {"X-Session-Token": response.get_json()["meta"]["session_token"]}


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_with_a_server_error_or_an_undocumented_status(
    case, signed_in_headers
):
    case.call_and_validate(
        headers=signed_in_headers, checks=[not_a_server_error, status_code_conformance]
    )
