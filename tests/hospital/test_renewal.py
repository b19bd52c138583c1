"""Renewal requests (续方): asked by the patient's account, answered by the prescribing doctor
with a follow-up consultation or a reason; never a prescription by itself."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hospital.consultations.models import Consultation
from hospital.prescriptions.models import Prescription, RenewalRequest
from notifications.models import Notification
from tests.accounts.factories import PatientUserFactory
from tests.hospital.consultation_factories import api_client_for
from tests.hospital.factories import DoctorFactory
from tests.hospital.review_factories import (
    ApprovedPrescriptionFactory,
    PrescriptionFactory,
    RenewalRequestFactory,
)

pytestmark = pytest.mark.django_db

S = Prescription.Status


def _ask(client, rx, note=""):
    return client.post(
        f"/api/v1/prescriptions/{rx.pk}/renewal-requests/", {"note": note}, format="json"
    )


def test_patient_asks_once_and_the_doctor_is_told(django_capture_on_commit_callbacks):
    rx = ApprovedPrescriptionFactory()
    client = api_client_for(rx.patient.account)
    with django_capture_on_commit_callbacks(execute=True):
        first = _ask(client, rx, "药快吃完了")
        second = _ask(client, rx)
    assert first.status_code == 201, first.content
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["status"] == "pending"
    assert RenewalRequest.objects.count() == 1
    assert (
        Notification.objects.filter(
            recipient=rx.doctor.user, kind="hospital.renewal_requested"
        ).count()
        == 1
    )


def test_an_expired_chronic_prescription_may_be_renewed():
    rx = ApprovedPrescriptionFactory(status=S.EXPIRED, supply_days=5, diagnosis_codes=["E11.9"])
    assert _ask(api_client_for(rx.patient.account), rx).status_code == 201


@pytest.mark.parametrize(
    "kwargs",
    [
        {"supply_days": 5, "diagnosis_codes": ["J06.9"]},  # short, acute
        {"status": S.PENDING_REVIEW},
        {"status": S.REJECTED},
    ],
)
def test_only_approved_or_expired_chronic_prescriptions_are_renewable(kwargs):
    rx = ApprovedPrescriptionFactory(**kwargs)
    response = _ask(api_client_for(rx.patient.account), rx)
    assert response.status_code == 409
    assert response.json()["code"] == "renewal_not_allowed"
    assert RenewalRequest.objects.count() == 0


def test_another_account_gets_404():
    rx = ApprovedPrescriptionFactory()
    assert _ask(api_client_for(PatientUserFactory()), rx).status_code == 404
    assert _ask(api_client_for(rx.doctor.user), rx).status_code == 404
    assert RenewalRequest.objects.count() == 0


def test_doctor_opens_a_follow_up_consultation(django_capture_on_commit_callbacks):
    renewal = RenewalRequestFactory()
    rx = renewal.prescription
    rx.consultation.qualifies_as_follow_up = True
    rx.consultation.save(update_fields=["qualifies_as_follow_up"])
    prescriptions_before = Prescription.objects.count()
    client = api_client_for(rx.doctor.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/renewal-requests/{renewal.pk}/accept/")
        again = client.post(f"/api/v1/renewal-requests/{renewal.pk}/accept/")
    assert response.status_code == 200, response.content
    assert again.json()["follow_up_consultation"] == response.json()["follow_up_consultation"]
    consultation = Consultation.objects.get(pk=response.json()["follow_up_consultation"])
    assert consultation.status == Consultation.Status.OPEN
    assert consultation.doctor_id == rx.doctor_id
    assert consultation.patient_id == rx.patient_id
    assert consultation.qualifies_as_follow_up is True
    assert Prescription.objects.count() == prescriptions_before
    assert (
        Notification.objects.filter(
            recipient=rx.patient.account, kind="hospital.renewal_decided"
        ).count()
        == 1
    )
    decline = client.post(
        f"/api/v1/renewal-requests/{renewal.pk}/decline/", {"reason": "x"}, format="json"
    )
    assert decline.status_code == 409


def test_doctor_declines_with_a_reason(django_capture_on_commit_callbacks):
    renewal = RenewalRequestFactory()
    client = api_client_for(renewal.prescription.doctor.user)
    missing = client.post(f"/api/v1/renewal-requests/{renewal.pk}/decline/", {}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["errors"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/renewal-requests/{renewal.pk}/decline/",
            {"reason": "请先线下复查肾功能"},
            format="json",
        )
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    note = Notification.objects.get(recipient=renewal.patient.account)
    assert "肾功能" in note.body
    # Once declined, the patient may ask again.
    assert _ask(api_client_for(renewal.patient.account), renewal.prescription).status_code == 201


def test_a_declined_renewal_cannot_be_accepted_afterwards():
    renewal = RenewalRequestFactory(
        status=RenewalRequest.Status.DECLINED, decline_reason="请先线下复查"
    )
    consultations_before = Consultation.objects.count()
    client = api_client_for(renewal.prescription.doctor.user)
    response = client.post(f"/api/v1/renewal-requests/{renewal.pk}/accept/")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "invalid_transition"
    renewal.refresh_from_db()
    assert renewal.status == RenewalRequest.Status.DECLINED
    assert renewal.follow_up_consultation_id is None
    assert Consultation.objects.count() == consultations_before


def test_another_doctor_cannot_answer_a_renewal():
    renewal = RenewalRequestFactory()
    client = api_client_for(DoctorFactory().user)
    assert client.post(f"/api/v1/renewal-requests/{renewal.pk}/accept/").status_code == 404
    assert (
        client.post(
            f"/api/v1/renewal-requests/{renewal.pk}/decline/", {"reason": "no"}, format="json"
        ).status_code
        == 404
    )
    renewal.refresh_from_db()
    assert renewal.status == RenewalRequest.Status.PENDING


def test_renewal_lists_are_scoped_and_their_queries_constant(django_assert_num_queries):
    doctor = DoctorFactory()
    mine = [
        RenewalRequestFactory(prescription__consultation__appointment__doctor=doctor)
        for _ in range(2)
    ]
    RenewalRequestFactory()  # another doctor's
    client = api_client_for(doctor.user)
    client.get("/api/v1/renewal-requests/")
    # Count, page, and the access log entry (which takes the chain's lock on PostgreSQL).
    with CaptureQueriesContext(connection) as few:
        body = client.get("/api/v1/renewal-requests/").json()
    assert len(few.captured_queries) <= 7
    assert sorted(r["id"] for r in body["results"]) == sorted(r.pk for r in mine)
    for _ in range(3):
        RenewalRequestFactory(prescription__consultation__appointment__doctor=doctor)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/renewal-requests/").json()["results"]) == 5
    patient_view = api_client_for(mine[0].patient.account).get("/api/v1/renewal-requests/")
    assert [r["id"] for r in patient_view.json()["results"]] == [mine[0].pk]
    assert client.get("/api/v1/renewal-requests/?status=bogus").status_code == 400


def test_pending_prescriptions_are_not_renewable_from_the_pages(client):
    rx = PrescriptionFactory()
    client.force_login(rx.patient.account)
    response = client.post(f"/prescriptions/{rx.pk}/renewal/", {"note": ""})
    assert response.status_code == 302
    assert RenewalRequest.objects.count() == 0
