"""Each prescribing rule refuses with a 400 naming the field at fault, and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hospital.consultations.models import Consultation
from hospital.prescriptions.models import Prescription
from tests.accounts.factories import PatientProfileFactory
from tests.hospital.consultation_factories import api_client_for
from tests.hospital.factories import CredentialFactory
from tests.hospital.prescription_factories import (
    PrescribingConsultationFactory,
    item_payload,
    load_formulary,
)
from tests.hospital.record_factories import ConditionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _formulary():
    load_formulary()


def _post(consultation, *items, **body):
    client = api_client_for(consultation.doctor.user)
    payload = {
        "items": list(items) or [item_payload()],
        "diagnosis_codes": body.pop("diagnosis_codes", ["I10"]),
        **body,
    }
    return client.post(
        f"/api/v1/consultations/{consultation.pk}/prescriptions/", payload, format="json"
    )


def _refused(response, field, code=None):
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"], body
    if code:
        assert body["code"] == code
    assert Prescription.objects.count() == 0


def test_a_valid_draft_is_created():
    consultation = PrescribingConsultationFactory()
    response = _post(consultation)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["items"][0]["drug_code"] == "amlodipine-5mg-tab"
    assert body["supply_days"] == 7


def test_only_the_treating_doctor_may_prescribe():
    consultation = PrescribingConsultationFactory()
    other = PrescribingConsultationFactory()
    client = api_client_for(other.doctor.user)
    response = client.post(
        f"/api/v1/consultations/{consultation.pk}/prescriptions/",
        {"items": [item_payload()], "diagnosis_codes": ["I10"]},
        format="json",
    )
    assert response.status_code == 404
    assert Prescription.objects.count() == 0


def test_the_patient_cannot_prescribe():
    consultation = PrescribingConsultationFactory()
    client = api_client_for(consultation.patient.account)
    response = client.post(
        f"/api/v1/consultations/{consultation.pk}/prescriptions/",
        {"items": [item_payload()], "diagnosis_codes": ["I10"]},
        format="json",
    )
    assert response.status_code == 404


def test_a_doctor_who_may_not_practise_is_refused():
    consultation = PrescribingConsultationFactory()
    consultation.doctor.credentials.update(status="revoked")
    response = _post(consultation)
    assert response.status_code == 409
    assert Prescription.objects.count() == 0


def test_not_a_follow_up_is_refused():
    consultation = PrescribingConsultationFactory(qualifies_as_follow_up=None)
    response = _post(consultation)
    assert response.status_code == 409
    assert response.json()["code"] == "not_a_follow_up"


def test_a_closed_consultation_is_refused():
    consultation = PrescribingConsultationFactory(
        status=Consultation.Status.CLOSED, closed_at=timezone.now()
    )
    response = _post(consultation)
    assert response.status_code == 409
    assert response.json()["code"] == "consultation_not_open"


def test_diagnosis_must_be_on_record():
    consultation = PrescribingConsultationFactory(diagnoses=["I10"])
    _refused(
        _post(consultation, diagnosis_codes=["J45.9"]), "diagnosis_codes", "diagnosis_not_on_record"
    )


def test_a_recorded_condition_counts_as_on_record():
    consultation = PrescribingConsultationFactory(diagnoses=[])
    ConditionFactory(patient=consultation.patient, icd10_code="I10")
    assert _post(consultation, diagnosis_codes=["I10"]).status_code == 201


def test_at_most_five_items():
    consultation = PrescribingConsultationFactory()
    codes = [
        "amlodipine-5mg-tab",
        "enalapril-10mg-tab",
        "metformin-500mg-tab",
        "hydrochlorothiazide-25mg-tab",
        "bisoprolol-5mg-tab",
        "atorvastatin-20mg-tab",
    ]
    items = [item_payload(drug_code=c, dose="1", dose_unit="tablet") for c in codes]
    _refused(_post(consultation, *items), "items", "too_many_items")


def test_unknown_drug_is_refused():
    consultation = PrescribingConsultationFactory()
    _refused(_post(consultation, item_payload(drug_code="no-such-drug")), "items[0].drug_code")


def test_forbidden_control_class_is_refused():
    consultation = PrescribingConsultationFactory()
    response = _post(
        consultation,
        item_payload(
            drug_code="codeine-phosphate-30mg-tab", dose="30", frequency="TID", duration_days=3
        ),
    )
    _refused(response, "items[0].drug_code", "forbidden_control_class")


def test_unknown_frequency_is_refused():
    consultation = PrescribingConsultationFactory()
    _refused(_post(consultation, item_payload(frequency="SOMETIMES")), "items[0].frequency")


def test_supply_over_seven_days_of_a_short_term_drug_is_refused():
    consultation = PrescribingConsultationFactory(diagnoses=["I10", "J02.9"])
    response = _post(
        consultation,
        item_payload(
            drug_code="amoxicillin-500mg-cap",
            dose="500",
            frequency="TID",
            duration_days=10,
            quantity_packs=1,
        ),
        diagnosis_codes=["J02.9"],
    )
    _refused(response, "items[0].duration_days", "supply_too_long")


def test_long_supply_needs_a_chronic_diagnosis():
    consultation = PrescribingConsultationFactory(diagnoses=["J02.9"])
    response = _post(consultation, item_payload(duration_days=28), diagnosis_codes=["J02.9"])
    _refused(response, "items[0].duration_days", "supply_too_long")


def test_four_weeks_for_a_chronic_condition_is_allowed_with_the_reason():
    consultation = PrescribingConsultationFactory()
    response = _post(
        consultation,
        item_payload(duration_days=28, quantity_packs=1),
        long_term_reason="血压稳定 6 个月，规律随访",
    )
    assert response.status_code == 201, response.content
    assert response.json()["is_long_term"] is True


def test_over_four_weeks_needs_a_recorded_reason():
    consultation = PrescribingConsultationFactory()
    _refused(
        _post(consultation, item_payload(duration_days=56, quantity_packs=2)),
        "long_term_reason",
        "long_term_reason_required",
    )
    response = _post(
        consultation,
        item_payload(duration_days=56, quantity_packs=2),
        long_term_reason="血压稳定 6 个月，规律随访",
    )
    assert response.status_code == 201


def test_never_over_twelve_weeks():
    consultation = PrescribingConsultationFactory()
    response = _post(
        consultation,
        item_payload(duration_days=90, quantity_packs=4),
        long_term_reason="稳定",
    )
    _refused(response, "items[0].duration_days", "supply_too_long")


def test_packs_beyond_what_the_regimen_needs_are_refused():
    consultation = PrescribingConsultationFactory()
    # 5 mg once daily for 7 days is 7 tablets; one pack holds 28.
    _refused(
        _post(consultation, item_payload(quantity_packs=2)),
        "items[0].quantity_packs",
        "quantity_exceeds_need",
    )


def test_packs_are_counted_from_dose_frequency_and_days():
    consultation = PrescribingConsultationFactory()
    # 10 mg (2 tablets) twice a day for 28 days = 112 tablets = 4 packs of 28.
    ok = _post(
        consultation,
        item_payload(dose="10", frequency="BID", duration_days=28, quantity_packs=4),
        long_term_reason="血压稳定，规律随访",
    )
    assert ok.status_code == 201, ok.content


def test_a_child_under_six_needs_a_guardian():
    patient = PatientProfileFactory(birth_date=timezone.localdate() - dt.timedelta(days=365 * 4))
    consultation = PrescribingConsultationFactory(patient=patient)
    item = item_payload(drug_code="amlodipine-5mg-tab", dose="2.5", duration_days=7)
    _refused(_post(consultation, item), "guardian_name", "guardian_required")
    assert _post(consultation, item, guardian_name="王芳（母亲）").status_code == 201


def test_bad_input_is_a_400_not_a_500():
    consultation = PrescribingConsultationFactory()
    client = api_client_for(consultation.doctor.user)
    url = f"/api/v1/consultations/{consultation.pk}/prescriptions/"
    for body in (
        {},
        {"items": [], "diagnosis_codes": ["I10"]},
        {"items": [{"drug_code": "x"}], "diagnosis_codes": ["I10"]},
        {"items": [item_payload(dose="-1")], "diagnosis_codes": ["I10"]},
        {"items": "nope", "diagnosis_codes": "I10"},
    ):
        response = client.post(url, body, format="json")
        assert response.status_code == 400, (body, response.content)
    assert Prescription.objects.count() == 0


def test_a_doctor_without_credentials_is_refused():
    consultation = PrescribingConsultationFactory()
    consultation.doctor.credentials.all().delete()
    CredentialFactory(doctor=consultation.doctor, kind="title")
    assert _post(consultation).status_code == 409
