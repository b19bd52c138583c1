"""A NUL character in a query string is refused with a 400 before any view reads it: no text
column can hold or be compared with one, and PostgreSQL answered such a filter with an error
(found by fuzzing GET /api/v1/appointments/?status=…)."""

from __future__ import annotations

import pytest

from hospital.booking.models import Appointment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/appointments/?status=%00",
        "/api/v1/appointments/?status=pending%00x",
        "/api/v1/products/?q=%00",
        "/api/v1/orders/?status=paid&x=%00",
    ],
)
def test_a_nul_in_an_api_query_is_a_400_json(patient_client, path):
    response = patient_client.get(path)
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


def test_a_nul_in_a_page_query_is_a_400_too(client):
    assert client.get("/shop/?q=%00").status_code == 400


def test_the_same_filters_without_a_nul_still_answer(patient_client):
    assert patient_client.get("/api/v1/appointments/?status=pending").status_code == 200
    assert patient_client.get("/api/v1/products/?q=%2500").status_code == 200  # a literal "%00"
    assert not Appointment.objects.exists()
