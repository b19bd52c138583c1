"""The OpenAPI schema is the promise to the mobile app and partners: it must build without
warnings, validate, and list the endpoints of the design."""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        output = io.StringIO()
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=output)
    return yaml.safe_load(output.getvalue())


def test_schema_builds_and_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Xinglin API"


def test_schema_lists_the_patient_profile_endpoints(schema):
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/me/patients/"])
    assert {"get", "patch"} <= set(schema["paths"]["/api/v1/me/patients/{id}/"])


def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # The docs page loads its assets from our own static files, so it works offline.
    assert b"/static/drf_spectacular_sidecar/" in docs.content


def test_every_operation_documents_its_error_answers(schema):
    error = {"$ref": "#/components/schemas/Error"}
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"detail", "code"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"400", "404", "409", "429"} <= set(responses), (method, path)
            if {} not in operation.get("security", [{}]):
                assert {"401", "403"} <= set(responses), (method, path)
            if "requestBody" in operation:
                assert {"413", "415"} <= set(responses), (method, path)
            assert responses["429"]["content"]["application/json"]["schema"] == error


def test_checkout_documents_key_reuse_and_pdfs_an_unavailable_renderer(schema):
    checkout = schema["paths"]["/api/v1/checkout/"]["post"]["responses"]
    assert {"201", "401", "409", "422"} <= set(checkout)
    catalog = schema["paths"]["/api/v1/products/"]["get"]["responses"]
    assert "401" not in catalog
    pdf = schema["paths"]["/api/v1/prescriptions/{id}/pdf/"]["get"]["responses"]
    assert "503" in pdf
