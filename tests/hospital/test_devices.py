"""Devices paired to a patient (the glucose-meter pattern): a short-lived code shown to the
account, exchanged once by the device for its own token, readings sent with that token onto the
record (idempotent by the device's reading id, bounded in rate), revoked by the account."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from hospital.records.models import READING_ALERT_KIND, Device, Reading, RecordSource
from notifications.models import Notification
from tests.accounts.factories import PatientProfileFactory
from tests.hospital.record_factories import ConsultationFactory

pytestmark = pytest.mark.django_db

PAIRING = "/api/v1/me/devices/pairing-codes/"
PAIR = "/api/v1/devices/pair/"
READINGS = "/api/v1/devices/readings/"


def _code(patient_client, patient) -> str:
    response = patient_client.post(PAIRING, {"patient_id": patient.pk}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["code"]


def _pair(code, name="罗氏 Accu-Chek") -> tuple[int, str]:
    response = APIClient().post(PAIR, {"code": code, "name": name}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    return body["device_id"], body["token"]


def _device_client(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return client


def _reading(reading_id="m-1", **overrides):
    measured = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    return {
        "reading_id": reading_id,
        "kind": "glucose_fasting",
        "value": "6.1",
        "measured_at": measured,
        **overrides,
    }


@pytest.fixture
def device_token(patient, patient_client):
    return _pair(_code(patient_client, patient))[1]


def test_a_paired_device_sends_a_reading_onto_the_patients_record(
    patient, patient_client, device_token
):
    response = _device_client(device_token).post(READINGS, _reading(), format="json")
    assert response.status_code == 201, response.content
    reading = Reading.objects.get(patient=patient)
    assert reading.source == RecordSource.DEVICE
    assert reading.device.name == "罗氏 Accu-Chek"
    assert str(reading.value) == "6.1"
    listed = patient_client.get("/api/v1/me/devices/").json()["results"]
    assert [d["name"] for d in listed] == ["罗氏 Accu-Chek"]
    assert listed[0]["last_seen_at"] is not None
    # On the record the patient and the doctors read.
    record = patient_client.get(f"/api/v1/patients/{patient.pk}/readings/").json()["results"]
    assert [r["source"] for r in record] == ["device"]


def test_a_resent_reading_is_the_same_reading_and_a_changed_one_under_its_id_is_refused(
    patient, device_token
):
    device = _device_client(device_token)
    payload = _reading()
    assert device.post(READINGS, payload, format="json").status_code == 201
    again = device.post(READINGS, payload, format="json")
    assert again.status_code == 200
    assert Reading.objects.filter(patient=patient).count() == 1
    changed = device.post(READINGS, {**payload, "value": "9.9"}, format="json")
    assert changed.status_code == 409
    assert changed.json()["code"] == "reading_id_reused"
    assert str(Reading.objects.get(patient=patient).value) == "6.1"  # the first figures stand


def test_a_pairing_code_works_once_and_only_for_ten_minutes(patient, patient_client):
    code = _code(patient_client, patient)
    _pair(code)
    used = APIClient().post(PAIR, {"code": code, "name": "second meter"}, format="json")
    assert used.status_code == 400
    assert "code" in used.json()["errors"]
    late = _code(patient_client, patient)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        expired = APIClient().post(PAIR, {"code": late, "name": "late meter"}, format="json")
    assert expired.status_code == 400
    assert Device.objects.filter(patient=patient).count() == 1


def test_only_the_profiles_account_can_pair_a_device_to_it(patient_client):
    stranger = PatientProfileFactory()
    response = patient_client.post(PAIRING, {"patient_id": stranger.pk}, format="json")
    assert response.status_code == 404
    assert patient_client.post(PAIRING, {}, format="json").status_code == 400


@pytest.mark.parametrize(
    "authorization", ["", "Device ", "Device not-a-token", "Bearer whatever", "Token abc"]
)
def test_an_unknown_token_sends_nothing(patient, device_token, authorization):
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    response = client.post(READINGS, _reading(), format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "device_not_authorised"
    assert not Reading.objects.exists()


def test_a_revoked_device_sends_nothing_and_keeps_its_readings(
    patient, patient_client, device_token
):
    device = _device_client(device_token)
    device.post(READINGS, _reading(), format="json")
    device_id = Device.objects.get().pk
    assert patient_client.delete(f"/api/v1/me/devices/{device_id}/").status_code == 204
    refused = device.post(READINGS, _reading("m-2"), format="json")
    assert refused.status_code == 401
    assert Reading.objects.filter(patient=patient).count() == 1
    assert patient_client.get(f"/api/v1/me/devices/{device_id}/").json()["is_active"] is False


def test_another_accounts_device_is_not_found(device_token):
    device_id = Device.objects.get().pk
    other = APIClient()
    other.force_authenticate(PatientProfileFactory().account)
    assert other.get(f"/api/v1/me/devices/{device_id}/").status_code == 404
    assert other.delete(f"/api/v1/me/devices/{device_id}/").status_code == 404
    assert other.get("/api/v1/me/devices/").json()["results"] == []
    assert Device.objects.get().is_active


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"value": "99.0"}, "value"),  # no glucose of 99 mmol/L
        ({"kind": "cholesterol"}, "kind"),
        ({"value": "abc"}, "value"),
        ({"measured_at": "2999-01-01T08:00:00+08:00"}, "measured_at"),
        ({"reading_id": ""}, "reading_id"),
        ({"kind": "blood_pressure", "value": "130"}, "value2"),
    ],
)
def test_absurd_readings_are_refused_with_the_field_and_change_nothing(
    device_token, overrides, field
):
    response = _device_client(device_token).post(READINGS, _reading(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Reading.objects.exists()


def test_a_flood_from_one_device_is_refused_with_429(settings, device_token, one_rate_window):
    from hospital.records.api import views

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    device = _device_client(device_token)
    statuses = [
        device.post(READINGS, _reading(f"m-{n}"), format="json").status_code
        for n in range(views.DEVICE_READINGS_PER_MINUTE + 3)
    ]
    assert statuses.count(201) == views.DEVICE_READINGS_PER_MINUTE
    assert statuses[-1] == 429
    assert Reading.objects.count() == views.DEVICE_READINGS_PER_MINUTE


def test_an_out_of_range_device_reading_tells_the_treating_doctor(
    patient, device_token, django_capture_on_commit_callbacks
):
    treating = ConsultationFactory(patient=patient)
    with django_capture_on_commit_callbacks(execute=True):
        response = _device_client(device_token).post(
            READINGS, _reading(value="13.5"), format="json"
        )
    assert response.json()["flag"] != "normal"
    told = Notification.objects.filter(kind=READING_ALERT_KIND)
    assert [n.recipient_id for n in told] == [treating.doctor.user_id]


def test_the_record_page_pairs_and_unpairs_a_device(patient):
    client = Client()
    client.force_login(patient.account)
    page = client.post(f"/records/{patient.pk}/devices/pairing-code/")
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    code = page.context["code"]
    assert code in page.content.decode()
    device_id, _token = _pair(code, name="欧姆龙血压计")
    record = client.get(f"/records/{patient.pk}/").content.decode()
    assert "欧姆龙血压计" in record
    response = client.post(f"/records/{patient.pk}/devices/{device_id}/revoke/")
    assert response.status_code == 302
    assert not Device.objects.get().is_active
    stranger = Client()
    stranger.force_login(PatientProfileFactory().account)
    assert stranger.post(f"/records/{patient.pk}/devices/pairing-code/").status_code == 404


def test_the_simulator_sends_a_week_once(patient):
    out = io.StringIO()
    call_command("device_simulate", patient=patient.pk, stdout=out)
    readings = Reading.objects.filter(patient=patient, source=RecordSource.DEVICE)
    days = {timezone.localtime(r.measured_at).date() for r in readings}
    assert len(days) == 7
    assert readings.filter(kind="glucose_fasting").count() == 7
    assert readings.filter(kind="blood_pressure").count() == 14
    assert readings.filter(flag__in=["high", "critical"]).exists()  # the odd high value
    count = readings.count()
    call_command("device_simulate", patient=patient.pk, stdout=io.StringIO())
    assert readings.count() == count
    assert Device.objects.filter(patient=patient).count() == 1
    assert f"{count} readings sent" in out.getvalue()
