"""Responses that carry health or payment data are never stored by a browser or a proxy, and
an unexpected failure in production answers with a generic body that gives nothing away."""

from __future__ import annotations

import pytest
from django.test import Client

from hospital.prescriptions import selectors
from tests.hospital.consultation_factories import api_client_for
from tests.hospital.prescription_factories import load_formulary, signed
from tests.hospital.review_factories import PrescriptionFactory

pytestmark = pytest.mark.django_db

NO_STORE = "private, no-store"


def _patient_client(rx) -> Client:
    client = Client()
    client.force_login(rx.patient.account)
    return client


def test_api_answers_with_health_data_are_not_stored():
    load_formulary()
    rx = signed()
    client = api_client_for(rx.patient.account)
    for path in (
        f"/api/v1/prescriptions/{rx.pk}/",
        "/api/v1/prescriptions/",
        f"/api/v1/patients/{rx.patient_id}/record/",
        "/api/v1/me/patients/",
        "/api/v1/orders/",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.content)
        assert response["Cache-Control"] == NO_STORE, path


def test_api_refusals_are_not_stored_either():
    rx = PrescriptionFactory()
    stranger = api_client_for(PrescriptionFactory().patient.account)
    response = stranger.get(f"/api/v1/prescriptions/{rx.pk}/")
    assert response.status_code == 404
    assert response["Cache-Control"] == NO_STORE
    anonymous = Client().get(f"/api/v1/prescriptions/{rx.pk}/")
    assert anonymous.status_code in (401, 403)
    assert anonymous["Cache-Control"] == NO_STORE


def test_pages_and_pdfs_with_health_data_are_not_stored():
    load_formulary()
    rx = signed()
    client = _patient_client(rx)
    for path in (
        f"/prescriptions/{rx.pk}/",
        "/prescriptions/mine/",
        f"/prescriptions/{rx.pk}/pdf/",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert "no-store" in response["Cache-Control"], path
        assert "public" not in response["Cache-Control"], path
    pdf = api_client_for(rx.patient.account).get(f"/api/v1/prescriptions/{rx.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Cache-Control"] == NO_STORE


def test_a_view_that_states_its_own_caching_keeps_it():
    response = Client().get("/favicon.ico")
    assert "public" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]


SECRET = "password=hunter2 at db.internal:5432"


@pytest.fixture
def failing_prescription_read(monkeypatch):
    def fail(**kwargs):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(selectors, "prescription_get_for_user", fail)


@pytest.mark.usefixtures("failing_prescription_read")
def test_an_unexpected_api_failure_in_production_is_a_generic_json_500(settings):
    settings.DEBUG = False
    rx = PrescriptionFactory()
    client = api_client_for(rx.patient.account)
    client.raise_request_exception = False
    response = client.get(f"/api/v1/prescriptions/{rx.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Internal server error.", "code": "server_error"}
    assert SECRET not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert response["Cache-Control"] == NO_STORE


@pytest.mark.usefixtures("failing_prescription_read")
def test_an_unexpected_page_failure_in_production_is_a_generic_page(settings):
    settings.DEBUG = False
    rx = PrescriptionFactory()
    client = Client(raise_request_exception=False)
    client.force_login(rx.patient.account)
    response = client.get(f"/prescriptions/{rx.pk}/")
    assert response.status_code == 500
    body = response.content.decode()
    assert SECRET not in body
    assert "Traceback" not in body
    assert "RuntimeError" not in body
    assert "prescription_get_for_user" not in body


def test_an_unknown_api_path_in_production_is_a_generic_json_404(settings):
    settings.DEBUG = False
    response = Client().get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert "urlpatterns" not in response.content.decode()
    assert response["Cache-Control"] == NO_STORE


def test_readyz_in_production_names_the_failing_check_without_its_internals(settings, monkeypatch):
    from core import views

    settings.DEBUG = False

    def unreachable() -> None:
        raise ConnectionError(SECRET)

    monkeypatch.setitem(views.READINESS_CHECKS, "broker", unreachable)
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"] == "ConnectionError"
    assert SECRET not in response.content.decode()


def test_a_fault_of_ours_in_production_tells_what_to_do_without_naming_files(settings, tmp_path):
    from tests.accounts.factories import activate_totp, totp_code
    from tests.hospital.prescription_factories import draft, item

    load_formulary()
    rx = draft(None, item())
    settings.DEBUG = False
    settings.CLINICAL_KNOWLEDGE_DIR = str(tmp_path)
    activate_totp(rx.doctor.user)
    response = api_client_for(rx.doctor.user).post(
        f"/api/v1/prescriptions/{rx.pk}/sign/",
        {"totp_code": totp_code()},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "decision_support_unavailable"
    assert body["detail"].startswith("Decision support is unavailable")
    assert str(tmp_path) not in response.content.decode()
    assert ".csv" not in response.content.decode()
