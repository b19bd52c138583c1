import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from hospital.booking.models import Appointment
from hospital.booking.services.appointments import (
    appointment_book,
    appointment_cancel,
    appointment_pay,
    appointment_reschedule,
    appointments_expire_unpaid,
    appointments_mark_no_shows,
)
from notifications.models import Notification
from payments.models import Payment, Refund
from payments.services import payment_sandbox_complete
from tests.hospital.factories import SlotFactory

pytestmark = pytest.mark.django_db


def book(patient, slot):
    return appointment_book(
        account=patient.account,
        patient_id=patient.pk,
        slot_id=slot.pk,
        mode=slot.mode,
        visit_type="follow_up",
        chief_complaint="复诊",
    )


def book_and_pay(patient, slot):
    appointment = book(patient, slot)
    payment_sandbox_complete(payment=appointment.payment, succeed=True)
    appointment.refresh_from_db()
    return appointment


def test_paying_confirms_the_booking_and_tells_the_patient(
    patient, slot, django_capture_on_commit_callbacks
):
    appointment = book(patient, slot)
    started = appointment_pay(account=patient.account, appointment_id=appointment.pk)
    assert started.redirect_url == f"/payments/sandbox/{appointment.payment.token}/"
    with django_capture_on_commit_callbacks(execute=True):
        payment_sandbox_complete(payment=appointment.payment, succeed=True)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    assert (
        Notification.objects.filter(
            recipient=patient.account, kind="hospital.appointment_confirmed"
        ).count()
        == 1
    )


def test_a_declined_payment_can_be_retried_with_a_new_payment(patient, slot):
    appointment = book(patient, slot)
    payment_sandbox_complete(payment=appointment.payment, succeed=False)
    started = appointment_pay(account=patient.account, appointment_id=appointment.pk)
    assert started.payment.pk != appointment.payment_id
    payment_sandbox_complete(payment=started.payment, succeed=True)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED


def test_an_unpaid_booking_expires_after_15_minutes_and_frees_the_slot(patient, slot):
    appointment = book(patient, slot)
    with time_machine.travel(appointment.created_at + dt.timedelta(minutes=14)):
        assert appointments_expire_unpaid() == 0
    with time_machine.travel(appointment.created_at + dt.timedelta(minutes=15, seconds=1)):
        assert appointments_expire_unpaid() == 1
        assert appointments_expire_unpaid() == 0
    appointment.refresh_from_db()
    slot.refresh_from_db()
    assert appointment.status == Appointment.Status.EXPIRED
    assert slot.booked_count == 0
    assert Payment.objects.get().status == Payment.Status.CANCELLED


def test_payment_arriving_after_expiry_is_refunded_not_confirmed(patient, slot):
    appointment = book(patient, slot)
    with time_machine.travel(appointment.created_at + dt.timedelta(minutes=16)):
        appointments_expire_unpaid()
    payment_sandbox_complete(payment=appointment.payment, succeed=True)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.EXPIRED
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refunds.get().amount == payment.amount


def test_patient_cancelling_early_gets_a_full_refund(patient, slot):
    appointment = book_and_pay(patient, slot)
    with time_machine.travel(slot.starts_at - dt.timedelta(hours=2, minutes=1)):
        appointment = appointment_cancel(actor=patient.account, appointment_id=appointment.pk)
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.refund_amount == Decimal("80.00")
    assert Refund.objects.get().amount == Decimal("80.00")
    slot.refresh_from_db()
    assert slot.booked_count == 0


def test_patient_cancelling_late_gets_no_refund(patient, slot):
    appointment = book_and_pay(patient, slot)
    with time_machine.travel(slot.starts_at - dt.timedelta(hours=1, minutes=59)):
        appointment = appointment_cancel(actor=patient.account, appointment_id=appointment.pk)
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.refund_amount == 0
    assert not Refund.objects.exists()


def test_cancelling_twice_refunds_once(patient, slot):
    appointment = book_and_pay(patient, slot)
    appointment_cancel(actor=patient.account, appointment_id=appointment.pk)
    appointment_cancel(actor=patient.account, appointment_id=appointment.pk)
    assert Refund.objects.count() == 1


def test_doctor_cancelling_late_still_refunds_in_full_and_tells_the_patient(
    patient, slot, django_capture_on_commit_callbacks
):
    appointment = book_and_pay(patient, slot)
    with (
        time_machine.travel(slot.starts_at - dt.timedelta(minutes=10)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        appointment = appointment_cancel(
            actor=slot.doctor.user, appointment_id=appointment.pk, reason="临时手术"
        )
    assert appointment.cancelled_by == Appointment.CancelledBy.DOCTOR
    assert appointment.refund_amount == Decimal("80.00")
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    notice = Notification.objects.get(kind="hospital.appointment_cancelled_by_doctor")
    assert notice.recipient == patient.account
    assert "临时手术" in notice.body
    assert any(patient.account.email in m.to for m in mail.outbox)


def test_reschedule_moves_a_paid_booking_without_paying_again(patient, slot, doctor):
    appointment = book_and_pay(patient, slot)
    later = SlotFactory(doctor=doctor, starts_at=slot.starts_at + dt.timedelta(hours=1))
    new = appointment_reschedule(
        account=patient.account, appointment_id=appointment.pk, slot_id=later.pk
    )
    appointment.refresh_from_db()
    slot.refresh_from_db()
    later.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert new.status == Appointment.Status.CONFIRMED
    assert new.payment_id == appointment.payment_id
    assert new.rescheduled_from_id == appointment.pk
    assert (slot.booked_count, later.booked_count) == (0, 1)
    assert not Refund.objects.exists()


def test_reschedule_to_a_full_slot_leaves_the_old_booking_untouched(patient, slot, doctor):
    appointment = book_and_pay(patient, slot)
    full = SlotFactory(
        doctor=doctor, starts_at=slot.starts_at + dt.timedelta(hours=1), booked_count=1
    )
    with pytest.raises(Exception, match="no longer available"):
        appointment_reschedule(
            account=patient.account, appointment_id=appointment.pk, slot_id=full.pk
        )
    appointment.refresh_from_db()
    slot.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    assert slot.booked_count == 1


def test_reschedule_api_answers_with_the_new_booking(patient_client, patient, slot, doctor):
    appointment = book_and_pay(patient, slot)
    later = SlotFactory(doctor=doctor, starts_at=slot.starts_at + dt.timedelta(hours=1))
    response = patient_client.post(
        f"/api/v1/appointments/{appointment.pk}/reschedule/", {"slot": later.pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["slot"] == later.pk
    assert response.json()["status"] == "confirmed"


def test_no_show_is_recorded_15_minutes_after_the_start(patient, slot):
    appointment = book_and_pay(patient, slot)
    with time_machine.travel(slot.starts_at + dt.timedelta(minutes=14)):
        assert appointments_mark_no_shows() == 0
    with time_machine.travel(slot.starts_at + dt.timedelta(minutes=15)):
        assert appointments_mark_no_shows() == 1
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.NO_SHOW


def test_cancel_api_and_pay_api(patient_client, patient, slot):
    appointment = book(patient, slot)
    pay = patient_client.post(f"/api/v1/appointments/{appointment.pk}/pay/")
    assert pay.status_code == 200
    assert pay.json()["redirect_url"].startswith("/payments/sandbox/")
    cancel = patient_client.post(
        f"/api/v1/appointments/{appointment.pk}/cancel/", {}, format="json"
    )
    assert cancel.status_code == 200
    assert cancel.json()["status"] == "cancelled"
    again = patient_client.post(f"/api/v1/appointments/{appointment.pk}/pay/")
    assert again.status_code == 409
