import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from hospital.records.models import READING_ALERT_KIND, Reading
from hospital.records.services.entries import condition_is_chronic_default
from hospital.records.services.readings import reading_alert_notify, reading_flag
from notifications.models import Notification
from tests.accounts.factories import PatientProfileFactory
from tests.hospital.factories import DoctorFactory
from tests.hospital.record_factories import (
    AllergyFactory,
    ConditionFactory,
    ConsultationFactory,
    MedicalDocumentFactory,
    MedicationFactory,
    ReadingFactory,
)

pytestmark = pytest.mark.django_db

# Appending to the access log takes an advisory lock on PostgreSQL, one query more.
CHAIN_LOCK_QUERIES = 1 if connection.vendor == "postgresql" else 0


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    ("kind", "value", "value2", "flag"),
    [
        ("glucose_fasting", "5.6", None, "normal"),
        ("glucose_fasting", "7.0", None, "normal"),
        ("glucose_fasting", "7.1", None, "high"),
        ("glucose_fasting", "3.8", None, "low"),
        ("glucose_fasting", "2.7", None, "critical"),
        ("glucose_fasting", "16.7", None, "critical"),
        ("glucose_postprandial", "11.2", None, "high"),
        ("blood_pressure", "120", "80", "normal"),
        ("blood_pressure", "139", "89", "normal"),
        ("blood_pressure", "150", "85", "high"),
        ("blood_pressure", "130", "92", "high"),
        ("blood_pressure", "185", "100", "critical"),
        ("blood_pressure", "160", "120", "critical"),
        ("blood_pressure", "85", "55", "low"),
        ("heart_rate", "120", None, "high"),
        ("heart_rate", "35", None, "critical"),
        ("weight", "150", None, "normal"),
    ],
)
def test_reading_flags_follow_the_thresholds(kind, value, value2, flag):
    second = Decimal(value2) if value2 else None
    assert reading_flag(kind=kind, value=Decimal(value), value2=second) == flag


def test_thresholds_are_configurable(settings):
    settings.HOSPITAL_READING_THRESHOLDS = {"glucose_fasting": {"high": "6.1"}}
    assert reading_flag(kind="glucose_fasting", value=Decimal("6.5")) == "high"


@pytest.mark.parametrize(
    ("code", "chronic"),
    [
        ("E11.9", True),
        ("E10", True),
        ("I10", True),
        ("J45.0", True),
        ("N18.3", True),
        ("J06.9", False),
        ("K35.8", False),
    ],
)
def test_chronic_default_from_code_prefix(code, chronic):
    assert condition_is_chronic_default(code) is chronic


def post_reading(client, patient, **payload):
    return client.post(f"/api/v1/patients/{patient.pk}/readings/", payload, format="json")


def test_out_of_range_reading_notifies_each_treating_doctor_once(
    patient, patient_client, django_capture_on_commit_callbacks
):
    treating = ConsultationFactory(patient=patient)
    recent = ConsultationFactory(patient=patient, closed_days_ago=True)
    old = ConsultationFactory(
        patient=patient, status="closed", closed_at=timezone.now() - dt.timedelta(days=40)
    )
    ConsultationFactory()  # another patient's doctor
    with django_capture_on_commit_callbacks(execute=True):
        response = post_reading(patient_client, patient, kind="glucose_fasting", value="9.4")
    assert response.status_code == 201
    assert response.json()["flag"] == "high"
    told = Notification.objects.filter(kind=READING_ALERT_KIND)
    assert {n.recipient_id for n in told} == {treating.doctor.user_id, recent.doctor.user_id}
    assert old.doctor.user_id not in {n.recipient_id for n in told}
    # A retry sends nothing twice.
    reading_alert_notify(reading_id=Reading.objects.get().pk)
    assert told.count() == 2
    assert "9.4" in told.first().body


def test_in_range_reading_notifies_nobody(
    patient, patient_client, django_capture_on_commit_callbacks
):
    ConsultationFactory(patient=patient)
    with django_capture_on_commit_callbacks(execute=True):
        post_reading(patient_client, patient, kind="blood_pressure", value="120", value2="78")
    assert not Notification.objects.filter(kind=READING_ALERT_KIND).exists()


def test_doctor_recording_a_reading_is_not_told_about_it(
    patient, django_capture_on_commit_callbacks
):
    consultation = ConsultationFactory(patient=patient)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_reading(
            client_for(consultation.doctor.user), patient, kind="heart_rate", value="140"
        )
    assert response.json()["flag"] == "critical"
    assert response.json()["source"] == "clinician"
    assert not Notification.objects.filter(kind=READING_ALERT_KIND).exists()


def test_chronic_panel_lists_the_doctors_chronic_patients(django_assert_num_queries):
    doctor = DoctorFactory()
    chronic = PatientProfileFactory(real_name="王建国")
    ConditionFactory(patient=chronic)
    ReadingFactory(patient=chronic, value="9.0", flag="high")
    ReadingFactory(patient=chronic, value="6.0", measured_at=timezone.now() - dt.timedelta(days=2))
    ConsultationFactory(patient=chronic, doctor=doctor)
    acute = PatientProfileFactory()
    ConditionFactory(patient=acute, icd10_code="J06.9", is_chronic=False)
    ConsultationFactory(patient=acute, doctor=doctor)
    stranger = PatientProfileFactory()
    ConditionFactory(patient=stranger)
    ConsultationFactory(patient=stranger)

    client = client_for(doctor.user)
    response = client.get("/api/v1/chronic-care/")
    assert response.status_code == 200
    rows = response.json()
    assert [row["patient"]["id"] for row in rows] == [chronic.pk]
    assert rows[0]["out_of_range_count"] == 1
    assert rows[0]["latest_readings"][0]["value"] == "9.0"
    assert rows[0]["chronic_conditions"][0]["icd10_code"] == "E11.9"


def test_chronic_panel_query_count_is_fixed_per_patient(django_assert_num_queries):
    doctor = DoctorFactory()
    client = client_for(doctor.user)

    def add_patient():
        patient = PatientProfileFactory()
        ConditionFactory(patient=patient)
        ReadingFactory(patient=patient)
        ConsultationFactory(patient=patient, doctor=doctor)

    add_patient()
    client.get("/api/v1/chronic-care/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/chronic-care/")
    add_patient()
    add_patient()
    with CaptureQueriesContext(connection) as three:
        client.get("/api/v1/chronic-care/")
    per_patient_log = (len(three) - len(one)) / 2
    # The panel's own reads are constant; each patient shown adds only its access log entry
    # (savepoint, last entry, insert, release; PostgreSQL also takes the chain's advisory lock).
    assert per_patient_log == 4 + CHAIN_LOCK_QUERIES


def test_chronic_panel_is_404_for_non_doctors(patient_client):
    assert patient_client.get("/api/v1/chronic-care/").status_code == 404


# --- query counts ----------------------------------------------------------------------------


def grow(patient, n):
    for _ in range(n):
        AllergyFactory(patient=patient)
        ConditionFactory(patient=patient)
        MedicationFactory(patient=patient)
        ReadingFactory(patient=patient)
        ReadingFactory(patient=patient, kind="blood_pressure", value=150, value2=95)
        MedicalDocumentFactory(patient=patient)


def count_queries(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "suffix",
    [
        "record/",
        "allergies/",
        "conditions/",
        "medications/",
        "readings/",
        "documents/",
        "fhir/",
        "access-log/",
    ],
)
def test_query_count_does_not_grow_with_the_record(patient, patient_client, suffix):
    path = f"/api/v1/patients/{patient.pk}/{suffix}"
    grow(patient, 1)
    ConsultationFactory(patient=patient)
    count_queries(patient_client, path)  # warms the per-user role cache
    small = count_queries(patient_client, path)
    grow(patient, 5)
    ConsultationFactory(patient=patient)
    assert count_queries(patient_client, path) == small


def test_record_endpoint_query_count_is_pinned(patient, patient_client, django_assert_num_queries):
    grow(patient, 3)
    ConsultationFactory(patient=patient)
    path = f"/api/v1/patients/{patient.pk}/record/"
    count_queries(patient_client, path)  # warms the per-user role cache
    # profile; access log (savepoint, last entry, insert, release); clinical profile,
    # allergies, conditions, medications, latest readings, recent readings, documents,
    # consultations, their diagnoses, their referrals, house calls
    with django_assert_num_queries(16 + CHAIN_LOCK_QUERIES):
        patient_client.get(path)
