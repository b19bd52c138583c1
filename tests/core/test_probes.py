"""/healthz says the process is alive; /readyz that database, cache and broker answer."""

from __future__ import annotations

import pytest

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_without_touching_dependencies(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_each_check_when_all_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "no-cache" in response["Cache-Control"]


@pytest.fixture
def unreachable_broker():
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        yield
    finally:
        celery_app.conf.broker_url = saved


@pytest.mark.usefixtures("unreachable_broker")
def test_readyz_is_503_json_naming_the_broker_when_it_is_unreachable(client):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ms"] < 10_000


def test_readyz_is_503_when_the_filesystem_broker_folder_cannot_be_made(client, tmp_path):
    (tmp_path / "a-file").write_text("")
    saved = celery_app.conf.broker_transport_options
    saved_url = celery_app.conf.broker_url
    celery_app.conf.broker_url = "filesystem://"
    celery_app.conf.broker_transport_options = {
        "data_folder_in": str(tmp_path / "a-file" / "out"),
        "data_folder_out": str(tmp_path / "a-file" / "out"),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
    }
    try:
        response = client.get("/readyz")
    finally:
        celery_app.conf.broker_transport_options = saved
        celery_app.conf.broker_url = saved_url

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
