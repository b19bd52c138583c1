"""The medication schedule API: the day's schedules with their doses, marking a dose (404 for
another person's, 409 when marked already, 400 too early or for bad input), snooze, times,
and adherence for the patient and the treating doctor."""

from __future__ import annotations

import pytest
import time_machine

from hospital.prescriptions.schedule.models import MedicationDose
from tests.accounts.factories import PatientUserFactory
from tests.hospital.consultation_factories import api_client_for
from tests.hospital.medication_factories import local, schedule_for
from tests.hospital.review_factories import ApprovedPrescriptionFactory

pytestmark = pytest.mark.django_db

D = MedicationDose.Status


def _schedules(count, **fields):
    first = schedule_for(local(2030, 1, 6, 7), frequency="BID", duration_days=7, **fields)
    schedules = [first]
    for _index in range(count - 1):
        schedules.append(
            schedule_for(
                local(2030, 1, 6, 7),
                prescription=ApprovedPrescriptionFactory(item=None, patient=first.patient),
                frequency="TID",
                duration_days=7,
            )
        )
    return schedules


def test_list_shows_the_days_schedules_with_their_doses():
    (schedule,) = _schedules(1)
    client = api_client_for(schedule.patient.account)
    with time_machine.travel(local(2030, 1, 7, 9), tick=False):
        body = client.get("/api/v1/medication-schedule/").json()
        other_day = client.get("/api/v1/medication-schedule/?date=2030-01-20").json()
    assert body["count"] == 1
    entry = body["results"][0]
    assert entry["id"] == schedule.pk
    assert entry["times_of_day"] == ["08:00", "20:00"]
    assert entry["prescription_id"] == schedule.prescription_item.prescription_id
    assert [d["due_at"] for d in entry["doses"]] == [
        "2030-01-07T08:00:00+08:00",
        "2030-01-07T20:00:00+08:00",
    ]
    assert other_day["count"] == 0


def test_list_is_empty_for_another_account_and_refuses_a_bad_date():
    _schedules(1)
    client = api_client_for(PatientUserFactory())
    with time_machine.travel(local(2030, 1, 7, 9), tick=False):
        assert client.get("/api/v1/medication-schedule/").json()["count"] == 0
        response = client.get("/api/v1/medication-schedule/?date=2030-13-01")
    assert response.status_code == 400
    assert "date" in response.json()["errors"]


def test_list_queries_do_not_grow_with_the_schedules(django_assert_num_queries):
    few = _schedules(1)[0]
    many = _schedules(4)[0]
    with time_machine.travel(local(2030, 1, 7, 9), tick=False):
        for schedule, expected in ((few, 1), (many, 4)):
            client = api_client_for(schedule.patient.account)
            with django_assert_num_queries(3):  # count, schedules, the day's doses
                body = client.get("/api/v1/medication-schedule/").json()
            assert body["count"] == expected


def test_mark_a_dose_taken_then_409_and_another_persons_dose_404():
    (schedule,) = _schedules(1)
    dose = schedule.doses.get(due_at=local(2030, 1, 7, 8))
    client = api_client_for(schedule.patient.account)
    url = f"/api/v1/medication-doses/{dose.pk}/taken/"
    with time_machine.travel(local(2030, 1, 7, 8, 20), tick=False):
        stranger = api_client_for(PatientUserFactory()).post(
            url, {"status": "taken"}, format="json"
        )
        assert stranger.status_code == 404
        response = client.post(
            url, {"status": "taken", "at": "2030-01-07T08:05:00+08:00"}, format="json"
        )
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "taken"
        assert response.json()["marked_at"] == "2030-01-07T08:05:00+08:00"
        again = client.post(url, {"status": "skipped"}, format="json")
    assert again.status_code == 409
    dose.refresh_from_db()
    assert dose.status == D.TAKEN


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "eaten"}, "status"),
        ({}, "status"),
        ({"status": "taken", "at": "yesterday"}, "at"),
        ({"status": "taken", "at": "2030-01-07T12:00:00+08:00"}, "at"),  # still to come
    ],
)
def test_mark_refuses_bad_input_with_400(payload, field):
    (schedule,) = _schedules(1)
    dose = schedule.doses.get(due_at=local(2030, 1, 7, 8))
    client = api_client_for(schedule.patient.account)
    with time_machine.travel(local(2030, 1, 7, 8, 20), tick=False):
        response = client.post(f"/api/v1/medication-doses/{dose.pk}/taken/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    dose.refresh_from_db()
    assert dose.status == D.SCHEDULED


def test_a_dose_far_in_the_future_cannot_be_marked():
    (schedule,) = _schedules(1)
    dose = schedule.doses.get(due_at=local(2030, 1, 9, 20))
    client = api_client_for(schedule.patient.account)
    with time_machine.travel(local(2030, 1, 7, 8, 20), tick=False):
        response = client.post(
            f"/api/v1/medication-doses/{dose.pk}/taken/", {"status": "taken"}, format="json"
        )
    assert response.status_code == 400
    assert response.json()["code"] == "dose_not_yet_due"
    assert "at" in response.json()["errors"]


def test_snooze_api_keeps_the_time_and_checks_the_length():
    (schedule,) = _schedules(1)
    dose = schedule.doses.get(due_at=local(2030, 1, 7, 8))
    client = api_client_for(schedule.patient.account)
    url = f"/api/v1/medication-doses/{dose.pk}/snooze/"
    with time_machine.travel(local(2030, 1, 7, 8, 0), tick=False):
        assert client.post(url, {"minutes": 3}, format="json").status_code == 400
        assert client.post(url, {"minutes": 121}, format="json").status_code == 400
        response = client.post(url, {"minutes": 15}, format="json")
        stranger = api_client_for(PatientUserFactory()).post(url, {"minutes": 15}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["due_at"] == "2030-01-07T08:00:00+08:00"
    assert response.json()["snoozed_until"] == "2030-01-07T08:15:00+08:00"
    assert stranger.status_code == 404


def test_times_api_moves_future_doses():
    (schedule,) = _schedules(1)
    client = api_client_for(schedule.patient.account)
    url = f"/api/v1/medication-schedule/{schedule.pk}/times/"
    with time_machine.travel(local(2030, 1, 7, 9), tick=False):
        assert client.post(url, {"times": ["07:00"]}, format="json").status_code == 400
        response = client.post(url, {"times": ["07:30", "19:30"]}, format="json")
        day = client.get("/api/v1/medication-schedule/?date=2030-01-07").json()
    assert response.status_code == 200, response.json()
    assert response.json()["times_of_day"] == ["07:30", "19:30"]
    assert [d["due_at"][11:16] for d in day["results"][0]["doses"]] == ["08:00", "19:30"]


def test_adherence_for_the_patient_and_the_treating_doctor_only():
    (schedule,) = _schedules(1)
    patient = schedule.patient
    url = f"/api/v1/patients/{patient.pk}/adherence/"
    doctor = schedule.prescription_item.prescription.doctor.user
    with time_machine.travel(local(2030, 1, 10, 12), tick=False):
        own = api_client_for(patient.account).get(url)
        treating = api_client_for(doctor).get(url)
        stranger = api_client_for(PatientUserFactory()).get(url)
    assert own.status_code == 200, own.json()
    body = own.json()
    assert body["line"] == "0.800"
    assert body["drugs"][0]["days_covered"] == 5
    assert body["doses_taken"] == 0
    assert body["meets_line"] is True  # the supply covers every day so far
    assert treating.status_code == 200, treating.json()
    assert stranger.status_code == 404


@pytest.mark.parametrize("patient", ["36893488147419103232", "0", "abc"])
def test_a_patient_filter_no_row_could_have_is_a_400(patient):
    client = api_client_for(PatientUserFactory())
    response = client.get("/api/v1/medication-schedule/", {"patient": patient})
    assert response.status_code == 400
    assert "patient" in response.json()["errors"]
