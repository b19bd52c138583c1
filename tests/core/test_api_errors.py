"""Bad input gets a clear JSON answer with a machine-readable code, never a 500."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.shortcuts import get_object_or_404
from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.models import PatientProfile
from config.urls import handler404, handler500
from core.exceptions import Conflict, DomainError, InvalidTransition, NotFound

pytestmark = pytest.mark.django_db


class BookingInput(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1)
    note = serializers.CharField(max_length=10, required=False)


class EchoApi(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        data = BookingInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data)


class PatientApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request, pk):
        profile = get_object_or_404(PatientProfile, pk=pk)
        return Response({"id": profile.pk})


class RefusalApi(APIView):
    permission_classes = [AllowAny]
    refusals = {
        "conflict": Conflict("The slot was taken."),
        "transition": InvalidTransition("closed", "cancel"),
        "domain": DomainError("Supply exceeds 7 days.", field="days"),
        "missing": NotFound("No such prescription."),
    }

    def post(self, request, kind):
        raise self.refusals[kind]


class TwoPerMinute(AnonRateThrottle):
    scope = "test-two-per-minute"
    rate = "2/min"


class ThrottledApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [TwoPerMinute]

    def get(self, request):
        return Response({"ok": True})


class BrokenApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("a bug")


# The project's error handlers serve this test URLconf too.
__all__ = ["handler404", "handler500", "urlpatterns"]

urlpatterns = [
    path("api/v1/broken/", BrokenApi.as_view()),
    path("api/v1/echo/", EchoApi.as_view()),
    path("api/v1/patients/<int:pk>/", PatientApi.as_view()),
    path("api/v1/refuse/<str:kind>/", RefusalApi.as_view()),
    path("api/v1/throttled/", ThrottledApi.as_view()),
]


@pytest.mark.urls(__name__)
def test_malformed_json_is_a_400_with_a_code(api_client):
    response = api_client.post("/api/v1/echo/", data='{"slot": 1,', content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "malformed_request"
    assert response.json()["detail"]


@pytest.mark.urls(__name__)
def test_validation_error_names_each_field(api_client):
    response = api_client.post("/api/v1/echo/", {"slot": 0, "note": "x" * 11}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"slot", "note"}


@pytest.mark.urls(__name__)
def test_body_over_the_limit_is_a_413_json_before_parsing(api_client, settings):
    big = b'{"slot": 1, "note": "' + b"x" * (3 * 1024 * 1024 + 1) + b'"}'
    response = api_client.generic("POST", "/api/v1/echo/", big, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert response.json()["limit_bytes"] == settings.REQUEST_BODY_LIMIT


@pytest.mark.urls(__name__)
def test_unknown_object_is_a_404_json(api_client):
    response = api_client.get("/api/v1/patients/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("kind", "expected_status", "expected_code"),
    [
        ("conflict", 409, "conflict"),
        ("transition", 409, "invalid_transition"),
        ("domain", 400, "invalid"),
        ("missing", 404, "not_found"),
    ],
)
def test_domain_errors_map_to_their_status(api_client, kind, expected_status, expected_code):
    response = api_client.post(f"/api/v1/refuse/{kind}/")
    assert response.status_code == expected_status
    assert response.json()["code"] == expected_code
    assert response.json()["detail"]


@pytest.mark.urls(__name__)
def test_domain_error_with_a_field_reports_it_as_a_field_error(api_client):
    body = api_client.post("/api/v1/refuse/domain/").json()
    assert body["errors"] == {"days": ["Supply exceeds 7 days."]}


@pytest.mark.urls(__name__)
def test_too_many_requests_is_a_429_json_with_retry_after(api_client, one_rate_window):
    cache.clear()
    statuses = [api_client.get("/api/v1/throttled/").status_code for _ in range(3)]
    response = api_client.get("/api/v1/throttled/")

    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert response.json()["retry_after_seconds"] > 0
    assert int(response["Retry-After"]) > 0


def test_unauthenticated_api_call_is_a_json_refusal(api_client):
    response = api_client.get("/api/v1/notifications/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_unknown_api_path_is_a_404_json(api_client):
    response = api_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.urls(__name__)
def test_an_unexpected_error_in_the_api_is_still_json(api_client):
    api_client.raise_request_exception = False
    response = api_client.get("/api/v1/broken/")
    assert response.status_code == 500
    assert response.json() == {"detail": response.json()["detail"], "code": "server_error"}
    assert "a bug" not in response.content.decode()
