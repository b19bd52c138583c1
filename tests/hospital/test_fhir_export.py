import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from rest_framework.test import APIClient

from audit.models import AccessLogEntry
from hospital.consultations.models import ConsultationDiagnosis
from tests.hospital.record_factories import (
    AllergyFactory,
    ConditionFactory,
    ConsultationFactory,
    ReadingFactory,
)

pytestmark = pytest.mark.django_db


def test_fhir_bundle_validates_and_carries_the_record(patient, patient_client):
    AllergyFactory(patient=patient)
    AllergyFactory(patient=patient, substance="花生", category="food", drug_class="", reaction="")
    ConditionFactory(patient=patient, onset_date="2019-04-01")
    ConditionFactory(patient=patient, icd10_code="I10", description="Essential hypertension")
    ConditionFactory(patient=patient, verification_status="entered_in_error")
    for kind, value, value2 in [
        ("glucose_fasting", "8.2", None),
        ("glucose_random", "10.0", None),
        ("glucose_postprandial", "12.5", None),
        ("blood_pressure", "150", "95"),
        ("heart_rate", "72", None),
        ("weight", "72.5", None),
        ("height", "172", None),
    ]:
        ReadingFactory(patient=patient, kind=kind, value=value, value2=value2, flag="normal")
    consultation = ConsultationFactory(patient=patient, closed_days_ago=True)
    ConsultationDiagnosis.objects.create(
        consultation=consultation,
        code="E11.9",
        description="2型糖尿病",
        is_primary=True,
        recorded_by=consultation.doctor.user,
    )

    response = patient_client.get(f"/api/v1/patients/{patient.pk}/fhir/")
    assert response.status_code == 200
    data = response.json()
    bundle = Bundle.model_validate(data)
    assert bundle.type == "collection"
    for entry in data["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)

    by_type: dict[str, list[dict]] = {}
    for entry in data["entry"]:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    assert len(by_type["Patient"]) == 1
    patient_resource = by_type["Patient"][0]
    assert patient_resource["gender"] == "male"
    assert patient_resource["birthDate"] == "1980-05-17"
    assert patient.resident_id_number not in response.content.decode()

    codings = {c["code"]["coding"][0]["code"] for c in by_type["Condition"]}
    assert codings == {"E11.9", "I10"}
    assert all(
        c["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10"
        for c in by_type["Condition"]
    )
    assert len(by_type["AllergyIntolerance"]) == 2

    loinc = {o["code"]["coding"][0]["code"]: o for o in by_type["Observation"]}
    assert {"85354-9", "8867-4", "29463-7", "8302-2", "77145-1"} <= set(loinc)
    bp = loinc["85354-9"]
    assert [c["code"]["coding"][0]["code"] for c in bp["component"]] == ["8480-6", "8462-4"]
    assert bp["component"][0]["valueQuantity"] == {
        "value": 150,
        "unit": "mmHg",
        "system": "http://unitsofmeasure.org",
        "code": "mm[Hg]",
    }
    assert loinc["77145-1"]["valueQuantity"]["code"] == "mmol/L"

    encounter = by_type["Encounter"][0]
    assert encounter["status"] == "finished"
    assert encounter["reasonCode"][0]["coding"][0]["code"] == "E11.9"

    entry = AccessLogEntry.objects.order_by("-sequence").first()
    assert (entry.action, entry.object_type) == ("export", "fhir_bundle")


def test_empty_record_still_validates(patient, patient_client):
    data = patient_client.get(f"/api/v1/patients/{patient.pk}/fhir/").json()
    Bundle.model_validate(data)
    assert [e["resource"]["resourceType"] for e in data["entry"]] == ["Patient"]


def test_fhir_export_by_an_outsider_is_404(patient):
    client = APIClient()
    client.force_authenticate(ConsultationFactory().doctor.user)
    assert client.get(f"/api/v1/patients/{patient.pk}/fhir/").status_code == 404
