import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from hospital.booking.models import Appointment, Slot
from hospital.doctors.models import Credential
from payments.models import Payment
from tests.accounts.factories import PatientProfileFactory
from tests.hospital.factories import DoctorFactory, SlotFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/appointments/"


def test_booking_holds_the_slot_and_waits_for_payment(patient_client, book_payload, slot):
    response = patient_client.post(URL, book_payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending_payment"
    assert body["fee"] == "80.00"
    assert body["patient_due"] == "80.00"
    assert body["payment_status"] == "waiting"
    slot.refresh_from_db()
    assert slot.booked_count == 1
    appointment = Appointment.objects.get()
    assert appointment.hold_expires_at == pytest.approx(
        appointment.created_at + dt.timedelta(minutes=15), abs=dt.timedelta(seconds=5)
    )


def test_booked_slot_disappears_from_free_slots(patient_client, book_payload, slot, api_client):
    url = f"/api/v1/doctors/{slot.doctor_id}/slots/"
    assert [s["id"] for s in api_client.get(url).json()] == [slot.pk]
    patient_client.post(URL, book_payload, format="json")
    assert api_client.get(url).json() == []


def assert_nothing_changed(slot):
    slot.refresh_from_db()
    assert slot.booked_count == 0
    assert not Appointment.objects.exists()
    assert not Payment.objects.exists()


def test_a_full_slot_is_a_409(patient_client, book_payload, slot):
    other = PatientProfileFactory()
    Slot.objects.filter(pk=slot.pk).update(booked_count=1)
    response = patient_client.post(URL, book_payload, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "slot_full"
    assert not Appointment.objects.exists()
    assert other.appointments.count() == 0


def test_a_past_slot_is_refused(patient_client, book_payload, slot):
    with time_machine.travel(slot.starts_at + dt.timedelta(minutes=1)):
        response = patient_client.post(URL, book_payload, format="json")
    assert response.status_code == 400
    assert "slot" in response.json()["errors"]
    assert_nothing_changed(slot)


def test_a_non_existent_slot_is_a_404(patient_client, book_payload, slot):
    response = patient_client.post(URL, {**book_payload, "slot": slot.pk + 999}, format="json")
    assert response.status_code == 404
    assert_nothing_changed(slot)


def test_a_slot_of_another_doctor_is_refused(patient_client, book_payload, slot):
    other_doctor = DoctorFactory()
    response = patient_client.post(URL, {**book_payload, "doctor": other_doctor.pk}, format="json")
    assert response.status_code == 400
    assert "slot" in response.json()["errors"]
    assert_nothing_changed(slot)


def test_another_accounts_patient_profile_is_a_404(patient_client, book_payload, slot):
    stranger = PatientProfileFactory()
    response = patient_client.post(URL, {**book_payload, "patient": stranger.pk}, format="json")
    assert response.status_code == 404
    assert_nothing_changed(slot)


def test_a_mode_the_doctor_does_not_offer_is_refused(patient_client, patient):
    doctor = DoctorFactory(fees={"text": "20.00"})
    slot = SlotFactory(doctor=doctor, mode="video")
    response = patient_client.post(
        URL,
        {
            "patient": patient.pk,
            "slot": slot.pk,
            "mode": "video",
            "visit_type": "follow_up",
            "chief_complaint": "复诊",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "mode" in response.json()["errors"]
    assert_nothing_changed(slot)


def test_a_mode_other_than_the_slots_is_refused(patient_client, book_payload, slot):
    response = patient_client.post(URL, {**book_payload, "mode": "phone"}, format="json")
    assert response.status_code == 400
    assert "mode" in response.json()["errors"]
    assert_nothing_changed(slot)


def test_missing_fields_get_field_errors(patient_client, slot):
    response = patient_client.post(URL, {"slot": "abc"}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"patient", "slot", "mode", "visit_type", "chief_complaint"} <= set(errors)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(
            lambda d: d.__class__.objects.filter(pk=d.pk).update(
                is_suspended=True, suspension_reason="调查中"
            ),
            id="suspended",
        ),
        pytest.param(
            lambda d: d.__class__.objects.filter(pk=d.pk).update(years_of_practice=2),
            id="too-few-years",
        ),
        pytest.param(
            lambda d: d.credentials.filter(kind="practice").update(
                expires_on=timezone.localdate() - dt.timedelta(days=1)
            ),
            id="practice-expired",
        ),
        pytest.param(
            lambda d: d.credentials.filter(kind="title").update(status="pending"),
            id="title-pending",
        ),
        pytest.param(
            lambda d: d.credentials.filter(kind="qualification").update(
                status="rejected", rejection_reason="伪造"
            ),
            id="qualification-rejected",
        ),
    ],
)
def test_a_doctor_who_may_not_practise_cannot_be_booked(patient_client, book_payload, slot, spoil):
    spoil(slot.doctor)
    response = patient_client.post(URL, book_payload, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "doctor_may_not_practise"
    assert_nothing_changed(slot)


def test_expiry_stops_the_very_next_booking_before_any_scan(patient_client, patient, doctor):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    doctor.credentials.filter(kind="practice").update(expires_on=tomorrow)
    slot = SlotFactory(doctor=doctor, starts_at=timezone.now() + dt.timedelta(days=3))
    payload = {
        "patient": patient.pk,
        "slot": slot.pk,
        "mode": "video",
        "visit_type": "follow_up",
        "chief_complaint": "复诊",
    }
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        response = patient_client.post(URL, payload, format="json")
    assert response.status_code == 409
    assert Credential.objects.filter(status="verified").count() == 3  # no scan has run


def test_same_idempotency_key_books_once(patient_client, book_payload):
    first = patient_client.post(URL, book_payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = patient_client.post(URL, book_payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Appointment.objects.count() == 1


def test_anonymous_cannot_book(api_client, book_payload):
    assert api_client.post(URL, book_payload, format="json").status_code in (401, 403)


def test_list_shows_only_the_accounts_own_appointments(patient_client, book_payload):
    patient_client.post(URL, book_payload, format="json")
    other = SlotFactory()
    stranger = PatientProfileFactory()
    Appointment.objects.create(
        patient=stranger,
        booked_by=stranger.account,
        doctor=other.doctor,
        slot=other,
        mode="video",
        visit_type="first",
        chief_complaint="x",
        fee="80.00",
    )
    body = patient_client.get(URL).json()
    assert body["count"] == 1
    stranger_appointment = Appointment.objects.get(patient=stranger)
    assert patient_client.get(f"{URL}{stranger_appointment.pk}/").status_code == 404
    assert patient_client.post(f"{URL}{stranger_appointment.pk}/cancel/").status_code == 404


def test_appointment_list_query_count_does_not_grow(
    patient_client, patient, django_assert_num_queries
):
    def book(n):
        for _ in range(n):
            slot = SlotFactory()
            Appointment.objects.create(
                patient=patient,
                booked_by=patient.account,
                doctor=slot.doctor,
                slot=slot,
                mode="video",
                visit_type="first",
                chief_complaint="x",
                fee="80.00",
            )

    book(2)
    with django_assert_num_queries(2) as small:
        patient_client.get(URL)
    book(8)
    with django_assert_num_queries(len(small.captured_queries)):
        assert patient_client.get(URL).json()["count"] == 10
