"""Logs are JSON lines that carry the id of the request they belong to."""

from __future__ import annotations

import io
import json
import logging

import pytest

from core.logging import JsonFormatter, RequestContextFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_a_request_logs_json_lines_with_its_request_id(client, log_lines):
    client.get("/api/v1/no-such-thing/", HTTP_X_REQUEST_ID="req-42")
    logging.getLogger("after").warning("outside any request")

    lines = log_lines()
    during = [line for line in lines if line["logger"] == "django.request"]
    assert during
    assert during[0]["request_id"] == "req-42"
    assert during[0]["level"] == "WARNING"
    assert "/api/v1/no-such-thing/" in during[0]["message"]
    assert {"time", "level", "logger", "message", "request_id"} <= set(during[0])
    after = [line for line in lines if line["logger"] == "after"]
    assert after[0]["request_id"] == ""


def test_an_exception_is_logged_with_its_traceback(log_lines):
    try:
        raise ValueError("bad dose")
    except ValueError:
        logging.getLogger("xinglin").exception("could not save")

    (line,) = [line for line in log_lines() if line["logger"] == "xinglin"]
    assert line["level"] == "ERROR"
    assert "ValueError: bad dose" in line["exception"]
