import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AccessLogEntry
from hospital.records.models import Allergy, Condition, MedicalDocument, Reading
from tests.accounts.factories import PatientProfileFactory, PharmacistUserFactory
from tests.hospital.factories import PDF_BYTES, PNG_BYTES, DoctorFactory
from tests.hospital.record_factories import (
    JPEG_BYTES,
    AllergyFactory,
    ConditionFactory,
    ConsultationFactory,
    MedicalDocumentFactory,
    MedicationFactory,
    ReadingFactory,
)

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def url(patient, suffix):
    return f"/api/v1/patients/{patient.pk}/{suffix}"


def last_log():
    return AccessLogEntry.objects.order_by("-sequence").first()


def full_record(patient):
    AllergyFactory(patient=patient)
    ConditionFactory(patient=patient)
    ConditionFactory(patient=patient, icd10_code="I10", description="Hypertension")
    MedicationFactory(patient=patient)
    ReadingFactory(patient=patient)
    ReadingFactory(patient=patient, kind="blood_pressure", value=150, value2=95)
    ReadingFactory(patient=patient, kind="weight", value="72.5")
    MedicalDocumentFactory(patient=patient)


# --- who may see the record -------------------------------------------------------------------


def test_patient_account_reads_the_whole_record(patient, patient_client):
    full_record(patient)
    response = patient_client.get(url(patient, "record/"))
    assert response.status_code == 200
    body = response.json()
    assert body["patient"]["id"] == patient.pk
    assert len(body["allergies"]) == 1
    assert {c["icd10_code"] for c in body["conditions"]} == {"E11.9", "I10"}
    assert {r["kind"] for r in body["latest_readings"]} == {
        "glucose_fasting",
        "blood_pressure",
        "weight",
    }
    assert body["documents"][0]["download_url"].endswith("/download/")
    entry = last_log()
    assert (entry.actor, entry.patient_id, entry.action, entry.outcome) == (
        patient.account,
        patient.pk,
        "read",
        "success",
    )


@pytest.mark.parametrize("suffix", ["record/", "allergies/", "readings/", "fhir/", "documents/"])
def test_another_patients_account_gets_404_and_the_attempt_is_logged(patient, suffix):
    outsider = PatientProfileFactory().account
    response = client_for(outsider).get(url(patient, suffix))
    assert response.status_code == 404
    entry = last_log()
    assert (entry.actor, entry.patient_id, entry.outcome) == (outsider, patient.pk, "denied")


def test_missing_patient_is_404_logged_as_not_found(patient_client):
    response = patient_client.get("/api/v1/patients/999999/record/")
    assert response.status_code == 404
    assert last_log().outcome == "not_found"


def test_treating_doctor_reads_during_the_consultation(patient):
    consultation = ConsultationFactory(patient=patient)
    full_record(patient)
    response = client_for(consultation.doctor.user).get(url(patient, "record/"))
    assert response.status_code == 200
    assert response.json()["consultations"][0]["id"] == consultation.pk
    entry = last_log()
    assert (entry.actor, entry.outcome, entry.detail) == (
        consultation.doctor.user,
        "success",
        "treating_doctor",
    )


def test_treating_doctor_reads_within_the_follow_up_window(patient):
    consultation = ConsultationFactory(patient=patient, closed_days_ago=True)
    assert client_for(consultation.doctor.user).get(url(patient, "record/")).status_code == 200


def test_treating_doctor_after_the_window_gets_404(patient):
    consultation = ConsultationFactory(
        patient=patient,
        status="closed",
        closed_at=timezone.now() - dt.timedelta(days=31),
    )
    response = client_for(consultation.doctor.user).get(url(patient, "record/"))
    assert response.status_code == 404
    assert last_log().outcome == "denied"


def test_another_doctor_gets_404(patient):
    ConsultationFactory(patient=patient)
    other = DoctorFactory()
    assert client_for(other.user).get(url(patient, "record/")).status_code == 404
    assert client_for(other.user).get(url(patient, "allergies/")).status_code == 404


def test_suspended_doctor_loses_access(patient):
    consultation = ConsultationFactory(patient=patient)
    consultation.doctor.is_suspended = True
    consultation.doctor.suspension_reason = "调查中"
    consultation.doctor.save()
    assert client_for(consultation.doctor.user).get(url(patient, "record/")).status_code == 404


def test_pharmacist_without_a_grant_gets_404(patient):
    pharmacist = PharmacistUserFactory()
    assert client_for(pharmacist).get(url(patient, "record/")).status_code == 404


def test_a_registered_grant_opens_the_record_for_reading_only(patient, monkeypatch):
    from hospital.records import access as record_access

    pharmacist = PharmacistUserFactory()
    monkeypatch.setattr(
        record_access,
        "_GRANTS",
        {"test": lambda user, p: "pharmacist_review" if user == pharmacist else None},
    )
    client = client_for(pharmacist)
    assert client.get(url(patient, "record/")).status_code == 200
    assert last_log().detail == "pharmacist_review"
    response = client.post(
        url(patient, "allergies/"), {"substance": "x", "severity": "mild"}, format="json"
    )
    assert response.status_code == 404
    assert not Allergy.objects.exists()


def test_unauthenticated_gets_401_or_403(patient):
    assert APIClient().get(url(patient, "record/")).status_code in (401, 403)


# --- writes -----------------------------------------------------------------------------------


def test_patient_records_an_allergy_and_it_is_logged(patient, patient_client):
    response = patient_client.post(
        url(patient, "allergies/"),
        {
            "substance": "青霉素",
            "drug_class": "penicillins",
            "severity": "severe",
            "reaction": "皮疹",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    allergy = Allergy.objects.get()
    assert allergy.source == "self_reported"
    assert allergy.recorded_by == patient.account
    entry = last_log()
    assert (entry.action, entry.object_type, entry.object_id) == (
        "create",
        "allergy",
        str(allergy.pk),
    )


def test_bad_icd10_code_is_a_400_field_error_and_changes_nothing(patient, patient_client):
    before = AccessLogEntry.objects.count()
    response = patient_client.post(
        url(patient, "conditions/"), {"icd10_code": "E11.99"}, format="json"
    )
    assert response.status_code == 400
    assert "icd10_code" in response.json()["errors"]
    assert not Condition.objects.exists()
    # The attempt on the record is still one access-log row, saying what was answered.
    assert AccessLogEntry.objects.count() == before + 1
    assert AccessLogEntry.objects.order_by("-sequence").first().detail == "POST answered 400"


def test_patient_condition_is_unconfirmed_doctor_condition_confirmed(patient, patient_client):
    response = patient_client.post(
        url(patient, "conditions/"), {"icd10_code": "e119"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["icd10_code"] == "E11.9"
    assert body["verification_status"] == "unconfirmed"
    assert body["is_chronic"] is True
    consultation = ConsultationFactory(patient=patient)
    response = client_for(consultation.doctor.user).post(
        url(patient, "conditions/"), {"icd10_code": "E11.9"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["verification_status"] == "confirmed"
    assert Condition.objects.count() == 1


def test_chronic_flag_derives_from_the_code_unless_given(patient, patient_client):
    acute = patient_client.post(url(patient, "conditions/"), {"icd10_code": "J06.9"}, format="json")
    assert acute.json()["is_chronic"] is False
    told = patient_client.post(
        url(patient, "conditions/"), {"icd10_code": "I10", "is_chronic": False}, format="json"
    )
    assert told.json()["is_chronic"] is False


def test_patient_cannot_withdraw_a_doctors_diagnosis(patient, patient_client):
    condition = ConditionFactory(patient=patient, source="clinician")
    response = patient_client.patch(
        url(patient, f"conditions/{condition.pk}/"), {"entered_in_error": True}, format="json"
    )
    assert response.status_code == 409
    condition.refresh_from_db()
    assert condition.verification_status == "confirmed"


def test_doctor_resolves_a_condition(patient):
    condition = ConditionFactory(patient=patient, source="clinician")
    consultation = ConsultationFactory(patient=patient)
    response = client_for(consultation.doctor.user).patch(
        url(patient, f"conditions/{condition.pk}/"), {"clinical_status": "resolved"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["abatement_date"] == timezone.localdate().isoformat()
    assert last_log().action == "update"


def test_another_patients_item_is_404(patient, patient_client):
    other_allergy = AllergyFactory()
    response = patient_client.patch(
        url(patient, f"allergies/{other_allergy.pk}/"), {"status": "inactive"}, format="json"
    )
    assert response.status_code == 404


def test_self_reported_medication_and_doctor_cannot_add_one(patient, patient_client):
    response = patient_client.post(
        url(patient, "medications/"),
        {"name": "氨氯地平片", "dose_text": "5 mg 每日一次", "atc_code": "c08ca01"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["atc_code"] == "C08CA01"
    assert response.json()["source"] == "self_reported"
    consultation = ConsultationFactory(patient=patient)
    response = client_for(consultation.doctor.user).post(
        url(patient, "medications/"), {"name": "x"}, format="json"
    )
    assert response.status_code == 409


def test_medication_stop(patient, patient_client):
    medication = MedicationFactory(patient=patient)
    response = patient_client.patch(
        url(patient, f"medications/{medication.pk}/"), {"status": "stopped"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["stop_date"] == timezone.localdate().isoformat()
    current = patient_client.get(url(patient, "medications/?current=true")).json()
    assert current["count"] == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "blood_pressure", "value": "140"}, "value2"),
        ({"kind": "blood_pressure", "value": "80", "value2": "120"}, "value2"),
        ({"kind": "glucose_fasting", "value": "600"}, "value"),
        ({"kind": "weight", "value": "70", "value2": "1"}, "value2"),
        ({"kind": "heart_rate", "value": "abc"}, "value"),
        ({"kind": "sugar", "value": "5"}, "kind"),
        (
            {"kind": "weight", "value": "70", "measured_at": "2099-01-01T08:00:00+08:00"},
            "measured_at",
        ),
        # Before the patient (born in the 1980s in the factory) was born.
        (
            {"kind": "weight", "value": "70", "measured_at": "1950-01-01T08:00:00+08:00"},
            "measured_at",
        ),
    ],
)
def test_bad_readings_are_400_field_errors(patient, patient_client, payload, field):
    response = patient_client.post(url(patient, "readings/"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Reading.objects.exists()


def test_reading_list_filters(patient, patient_client):
    ReadingFactory(patient=patient, value="9.0")
    ReadingFactory(patient=patient, kind="weight", value="70")
    body = patient_client.get(url(patient, "readings/?kind=glucose_fasting")).json()
    assert body["count"] == 1
    assert patient_client.get(url(patient, "readings/?kind=nope")).status_code == 400


def test_reading_entered_in_error_leaves_the_lists(patient, patient_client):
    reading = ReadingFactory(patient=patient)
    response = patient_client.post(url(patient, f"readings/{reading.pk}/entered-in-error/"))
    assert response.status_code == 200
    assert patient_client.get(url(patient, "readings/")).json()["count"] == 0
    assert Reading.objects.filter(pk=reading.pk).exists()


# --- documents --------------------------------------------------------------------------------


def upload(client, patient, content, name="scan.pdf", **extra):
    data = {
        "kind": "outpatient_record",
        "hospital_name": "北京大学第一医院",
        "document_date": "2024-03-02",
        "diagnosis_codes": ["E11.9", "i10"],
        "file": SimpleUploadedFile(name, content, content_type="application/pdf"),
        **extra,
    }
    return client.post(url(patient, "documents/"), data, format="multipart")


@pytest.mark.parametrize(
    ("content", "expected"),
    [(PDF_BYTES, "application/pdf"), (PNG_BYTES, "image/png"), (JPEG_BYTES, "image/jpeg")],
)
def test_document_type_is_sniffed_from_the_content(patient, patient_client, content, expected):
    response = upload(patient_client, patient, content, name="whatever.txt")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["content_type"] == expected
    assert body["diagnosis_codes"] == ["E11.9", "I10"]


def test_a_disguised_file_is_refused(patient, patient_client):
    response = upload(patient_client, patient, b"MZ\x90\x00 not really a pdf", name="a.pdf")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    assert not MedicalDocument.objects.exists()


def test_a_webp_document_is_refused_though_a_consultation_would_take_it(patient, patient_client):
    webp = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 16
    response = upload(patient_client, patient, webp, name="photo.webp")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    assert not MedicalDocument.objects.exists()


def test_an_oversized_document_is_413(patient, patient_client, settings):
    settings.HOSPITAL_MEDICAL_DOCUMENT_MAX_BYTES = 1024
    response = upload(patient_client, patient, PDF_BYTES + b"0" * 2048)
    assert response.status_code == 413
    assert not MedicalDocument.objects.exists()


def test_document_with_a_bad_diagnosis_code_is_400(patient, patient_client):
    response = upload(patient_client, patient, PDF_BYTES, diagnosis_codes=["E11.9", "ZZZ"])
    assert response.status_code == 400
    assert "diagnosis_codes" in response.json()["errors"]


def test_comma_separated_diagnosis_codes(patient, patient_client):
    response = upload(patient_client, patient, PDF_BYTES, diagnosis_codes="E11.9, I10")
    assert response.json()["diagnosis_codes"] == ["E11.9", "I10"]


def test_download_through_the_access_checked_view(patient, patient_client):
    document = MedicalDocumentFactory(patient=patient)
    response = patient_client.get(url(patient, f"documents/{document.pk}/download/"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    entry = last_log()
    assert (entry.object_type, entry.object_id, entry.detail) == (
        "medicaldocument",
        str(document.pk),
        "download",
    )


def test_download_by_an_outsider_or_of_another_patients_document_is_404(patient, patient_client):
    document = MedicalDocumentFactory(patient=patient)
    outsider = client_for(PatientProfileFactory().account)
    assert outsider.get(url(patient, f"documents/{document.pk}/download/")).status_code == 404
    foreign = MedicalDocumentFactory()
    assert patient_client.get(url(patient, f"documents/{foreign.pk}/download/")).status_code == 404
    assert last_log().outcome == "not_found"


def test_doctor_may_not_upload_documents(patient):
    consultation = ConsultationFactory(patient=patient)
    response = upload(client_for(consultation.doctor.user), patient, PDF_BYTES)
    assert response.status_code == 409


# --- pregnancy and breastfeeding --------------------------------------------------------------


def test_clinical_profile_records_pregnancy_with_its_date(patient_user):
    patient = PatientProfileFactory(account=patient_user, sex="female")
    client = client_for(patient_user)
    response = client.patch(
        url(patient, "clinical-profile/"),
        {"pregnancy_status": "pregnant", "expected_delivery_date": "2026-12-01"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = client.get(url(patient, "clinical-profile/")).json()
    assert body["pregnancy_status"] == "pregnant"
    assert body["pregnancy_as_of"] == timezone.localdate().isoformat()
    assert body["lactation_status"] == "unknown"


def test_male_profile_cannot_be_pregnant(patient, patient_client):
    response = patient_client.patch(
        url(patient, "clinical-profile/"), {"pregnancy_status": "pregnant"}, format="json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00", "9999-12-31T23:59:59"])
def test_readings_since_the_ends_of_the_calendar_is_a_400(patient, patient_client, since):
    response = patient_client.get(url(patient, f"readings/?since={since}"))
    assert response.status_code == 400
    assert "since" in response.json()["errors"]


def test_a_reading_measured_in_year_one_is_a_400(patient, patient_client):
    response = patient_client.post(
        url(patient, "readings/"),
        {"kind": "weight", "value": "70", "measured_at": "0001-01-01T00:00:00"},
        format="json",
    )
    assert response.status_code == 400
    assert "measured_at" in response.json()["errors"]
