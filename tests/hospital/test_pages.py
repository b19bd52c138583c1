import pytest

from hospital.booking.models import Appointment
from payments.models import Payment
from tests.hospital.factories import DoctorFactory

pytestmark = pytest.mark.django_db


def test_browse_book_and_pay_in_the_sandbox(client, patient, slot):
    client.force_login(patient.account)
    assert slot.doctor.name in client.get("/doctors/").content.decode()
    page = client.get(f"/doctors/{slot.doctor_id}/")
    assert page.status_code == 200
    response = client.post(
        f"/doctors/{slot.doctor_id}/",
        {
            "patient": patient.pk,
            "slot": slot.pk,
            "visit_type": "follow_up",
            "chief_complaint": "复诊开药",
        },
    )
    payment = Payment.objects.get()
    assert response["Location"] == f"/payments/sandbox/{payment.token}/"
    paid = client.post(response["Location"], {"choice": "pay"})
    assert paid["Location"] == "/appointments/"
    assert Appointment.objects.get().status == Appointment.Status.CONFIRMED
    assert 'data-testid="appointment"' in client.get("/appointments/").content.decode()


def test_doctor_schedule_page_needs_a_doctor(client, patient_user):
    client.force_login(patient_user)
    assert client.get("/doctor/schedule/").status_code == 403


def test_symptom_page_shows_suggestions(client):
    DoctorFactory()
    response = client.get("/doctors/symptoms/?symptoms=cough")
    assert response.status_code == 200


@pytest.mark.parametrize("query", ["reschedule=%C2%B2", "reschedule=99999999999999999999999"])
def test_doctor_page_ignores_a_reschedule_id_that_is_not_one(client, patient, query):
    doctor = DoctorFactory()
    client.force_login(patient.account)
    assert client.get(f"/doctors/{doctor.pk}/?{query}").status_code == 200


def test_doctor_list_page_with_an_overlong_department_id_lists_nobody(client):
    DoctorFactory()
    response = client.get("/doctors/?department=99999999999999999999999")
    assert response.status_code == 200
    assert list(response.context["doctors"]) == []


def test_a_reschedule_to_a_slot_that_is_not_a_number_is_refused_with_a_message(
    client, patient, slot
):
    client.force_login(patient.account)
    client.post(
        f"/doctors/{slot.doctor_id}/",
        {
            "patient": patient.pk,
            "slot": slot.pk,
            "visit_type": "follow_up",
            "chief_complaint": "复诊",
        },
    )
    booked = Appointment.objects.get()
    response = client.post(
        f"/doctors/{slot.doctor_id}/?reschedule={booked.pk}",
        {"slot": "abc"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]]
    assert Appointment.objects.get() == booked
    assert Appointment.objects.get().slot_id == slot.pk


def test_removing_a_session_that_is_not_a_number_is_refused_with_a_message(client):
    from tests.accounts.factories import activate_totp

    doctor = DoctorFactory()
    activate_totp(doctor.user)
    client.force_login(doctor.user)
    response = client.post(
        "/doctor/schedule/",
        {"action": "remove_availability", "availability": "abc"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["No such session."]
