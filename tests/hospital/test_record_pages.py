import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AccessLogEntry
from hospital.records.models import Allergy, MedicalDocument, Reading
from tests.accounts.factories import PatientProfileFactory, activate_totp
from tests.hospital.factories import PDF_BYTES, DoctorFactory
from tests.hospital.record_factories import (
    AllergyFactory,
    ConditionFactory,
    ConsultationFactory,
    MedicalDocumentFactory,
    ReadingFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient_web(client, patient):
    client.force_login(patient.account)
    return client


def test_record_page_shows_the_record_in_chinese_and_english(patient, patient_web):
    AllergyFactory(patient=patient)
    ConditionFactory(patient=patient)
    ReadingFactory(patient=patient, value="9.1", flag="high")
    MedicalDocumentFactory(patient=patient)
    page = patient_web.get(f"/records/{patient.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert "青霉素" in html
    assert "过敏史" in html
    assert "E11.9" in html
    assert "9.1" in html
    assert f"/records/{patient.pk}/documents/" in html
    patient_web.cookies["django_language"] = "en"
    english = patient_web.get(f"/records/{patient.pk}/").content.decode()
    assert "Allergies" in english


def test_record_home_goes_to_the_only_profile(patient, patient_web):
    response = patient_web.get("/records/")
    assert response.status_code == 302
    assert response["Location"] == f"/records/{patient.pk}/"


def test_outsider_gets_404_on_every_record_page(client, patient):
    document = MedicalDocumentFactory(patient=patient)
    client.force_login(PatientProfileFactory().account)
    for path in [
        f"/records/{patient.pk}/",
        f"/records/{patient.pk}/access-log/",
        f"/records/{patient.pk}/documents/{document.pk}/download/",
    ]:
        assert client.get(path).status_code == 404, path
    assert client.post(f"/records/{patient.pk}/add/allergy/", {}).status_code == 404


def test_forms_add_an_allergy_a_reading_and_a_document(patient, patient_web):
    patient_web.post(
        f"/records/{patient.pk}/add/allergy/",
        {"allergy-substance": "头孢", "allergy-category": "drug", "allergy-severity": "moderate"},
    )
    assert Allergy.objects.get().substance == "头孢"
    patient_web.post(
        f"/records/{patient.pk}/add/reading/",
        {"reading-kind": "blood_pressure", "reading-value": "152", "reading-value2": "96"},
    )
    assert Reading.objects.get().flag == "high"
    patient_web.post(
        f"/records/{patient.pk}/add/document/",
        {
            "document-kind": "discharge_summary",
            "document-hospital_name": "北京朝阳医院",
            "document-document_date": "2024-05-01",
            "document-diagnosis_codes": "I10, E11.9",
            "document-file": SimpleUploadedFile("x.pdf", PDF_BYTES),
        },
    )
    assert MedicalDocument.objects.get().diagnosis_codes == ["I10", "E11.9"]


def test_form_errors_become_a_message_and_change_nothing(patient, patient_web):
    response = patient_web.post(
        f"/records/{patient.pk}/add/condition/", {"condition-icd10_code": "NOPE"}, follow=True
    )
    assert "ICD-10" in response.content.decode()
    assert not patient.conditions.exists()


def test_access_log_page_shows_the_doctor_by_name(patient, patient_web):
    consultation = ConsultationFactory(patient=patient)
    from django.test import Client

    doctor_web = Client()
    activate_totp(consultation.doctor.user)
    doctor_web.force_login(consultation.doctor.user)
    assert doctor_web.get(f"/records/{patient.pk}/").status_code == 200
    # The doctor may read the record, not the list of who else read it.
    assert doctor_web.get(f"/records/{patient.pk}/access-log/").status_code == 404
    html = patient_web.get(f"/records/{patient.pk}/access-log/").content.decode()
    assert consultation.doctor.name in html
    assert AccessLogEntry.objects.filter(actor=consultation.doctor.user, outcome="success").exists()


def test_chronic_care_page_for_doctors_only(client, patient):
    doctor = DoctorFactory()
    ConditionFactory(patient=patient)
    ReadingFactory(patient=patient, value="11.0", flag="high")
    ConsultationFactory(patient=patient, doctor=doctor)
    activate_totp(doctor.user)
    client.force_login(doctor.user)
    html = client.get("/doctor/chronic-care/").content.decode()
    assert patient.real_name in html
    client.force_login(patient.account)
    assert client.get("/doctor/chronic-care/").status_code == 404


def test_a_reading_dated_before_the_patient_was_born_is_refused_with_a_message(
    patient, patient_web
):
    response = patient_web.post(
        f"/records/{patient.pk}/add/reading/",
        {
            "reading-kind": "glucose_fasting",
            "reading-value": "6.1",
            "reading-measured_at": f"{patient.birth_date.year - 1}-06-01T08:00",
        },
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["The time cannot be before the patient was born."]
    assert not Reading.objects.exists()


def test_an_invalid_form_is_refused_with_its_first_error_under_the_field_label(
    patient, patient_web
):
    response = patient_web.post(
        f"/records/{patient.pk}/add/reading/",
        {"reading-kind": "glucose_fasting", "reading-value": "many"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Value: Enter a number."]
    assert not Reading.objects.exists()
