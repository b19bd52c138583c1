"""Idempotency-Key on a POST: a retried request never does the work twice."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.urls import path
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core.exceptions import Conflict
from core.idempotency import idempotent
from core.models import IdempotencyRecord
from tests.accounts.factories import PatientUserFactory
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db

# How long the test view holds a request "in flight", for the concurrency test.
SLOW_SECONDS = {"value": 0.0}


class GroupCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=50)


class GroupCreateApi(APIView):
    """Stands in for a money-moving POST: creates one row per successful call."""

    @idempotent
    def post(self, request):
        data = GroupCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["name"] == "taken":
            raise Conflict("That name is taken.")
        if SLOW_SECONDS["value"]:
            time.sleep(SLOW_SECONDS["value"])
        group = Group.objects.create(name=data.validated_data["name"])
        return Response({"id": group.pk, "name": group.name}, status=status.HTTP_201_CREATED)


urlpatterns = [path("groups/", GroupCreateApi.as_view())]


@pytest.fixture
def client():
    api_client = APIClient()
    api_client.force_authenticate(PatientUserFactory())
    return api_client


def post(client, body, key="key-1"):
    return client.post("/groups/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.urls(__name__)
def test_same_key_and_body_replays_the_first_response_and_creates_once(client):
    first = post(client, {"name": "alpha"})
    second = post(client, {"name": "alpha"})

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Group.objects.filter(name="alpha").count() == 1


@pytest.mark.urls(__name__)
def test_same_key_with_a_different_body_is_refused_with_422(client):
    post(client, {"name": "alpha"})
    response = post(client, {"name": "beta"})

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert not Group.objects.filter(name="beta").exists()


@pytest.mark.urls(__name__)
def test_a_refusal_is_replayed_not_retried(client):
    first = post(client, {"name": "taken"})
    Group.objects.create(name="unrelated")
    second = post(client, {"name": "taken"})

    assert first.status_code == second.status_code == 409
    assert second.json() == first.json() == {"detail": "That name is taken.", "code": "conflict"}
    assert second["Idempotent-Replayed"] == "true"


@pytest.mark.urls(__name__)
def test_keys_belong_to_one_account(client):
    post(client, {"name": "alpha"}, key="shared")
    other = APIClient()
    other.force_authenticate(PatientUserFactory())

    response = post(other, {"name": "gamma"}, key="shared")

    assert response.status_code == 201
    assert Group.objects.filter(name="gamma").count() == 1


@pytest.mark.urls(__name__)
def test_without_a_key_each_post_acts(client):
    client.post("/groups/", {"name": "one"}, format="json")
    client.post("/groups/", {"name": "two"}, format="json")
    assert Group.objects.filter(name__in=["one", "two"]).count() == 2


@pytest.mark.urls(__name__)
def test_malformed_json_with_a_key_is_a_400_and_does_not_spend_the_key(client):
    response = client.post(
        "/groups/", data="{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    assert post(client, {"name": "alpha"}, key="k").status_code == 201


@pytest.mark.urls(__name__)
def test_an_overlong_key_is_a_400(client):
    response = post(client, {"name": "alpha"}, key="k" * 256)
    assert response.status_code == 400
    assert not Group.objects.filter(name="alpha").exists()


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("key", ["k\x00ey", "k\ney", "\x85"])
def test_a_key_with_control_characters_is_a_400(client, key):
    response = post(client, {"name": "alpha"}, key=key)
    assert response.status_code == 400
    assert not Group.objects.filter(name="alpha").exists()
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.urls(__name__)
def test_an_expired_key_may_be_used_again(client, settings):
    post(client, {"name": "alpha"}, key="old")
    IdempotencyRecord.objects.update(created_at="2000-01-01T00:00:00Z")

    response = post(client, {"name": "beta"}, key="old")

    assert response.status_code == 201
    assert Group.objects.filter(name="beta").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.urls(__name__)
def test_concurrent_duplicates_create_exactly_once():
    user = PatientUserFactory()
    SLOW_SECONDS["value"] = 0.3

    def send() -> Any:
        api_client = APIClient()
        api_client.force_authenticate(user)
        return post(api_client, {"name": "racer"}, key="race")

    try:
        responses = run_concurrently(send, [()] * 10)
    finally:
        SLOW_SECONDS["value"] = 0.0

    errors = [outcome for outcome in responses if isinstance(outcome, BaseException)]
    assert errors == []
    codes = sorted(response.status_code for response in responses)
    assert len(codes) == 10
    assert Group.objects.filter(name="racer").count() == 1
    assert codes.count(201) >= 1
    assert set(codes) <= {201, 409}
    in_progress = [r for r in responses if r.status_code == 409]
    assert all(r.json()["code"] == "idempotency_request_in_progress" for r in in_progress)
    # Once the first has finished, a retry gets its answer.
    retry_client = APIClient()
    retry_client.force_authenticate(user)
    retry = post(retry_client, {"name": "racer"}, key="race")
    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"


def test_the_periodic_sweep_deletes_only_expired_keys():
    from core.tasks import expire_idempotency_keys

    user = PatientUserFactory()
    IdempotencyRecord.objects.create(user=user, key="old", request_fingerprint="x")
    IdempotencyRecord.objects.update(created_at="2000-01-01T00:00:00Z")
    IdempotencyRecord.objects.create(user=user, key="new", request_fingerprint="x")

    assert expire_idempotency_keys() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
