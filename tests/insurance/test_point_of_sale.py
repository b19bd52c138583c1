"""Direct billing where the patient pays: the shop's checkout and the consultation booking show
the insurance split, charge the patient only their part through the sandbox, settle on payment,
and give everything back on a refund."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import PatientProfile
from hospital.booking.models import Appointment
from hospital.booking.services.appointments import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from insurance.models import Policy, PolicyYear, Settlement
from payments.models import Payment
from payments.services import payment_sandbox_complete
from pharmacy import services
from pharmacy.models import Order
from tests.accounts.factories import PatientProfileFactory
from tests.hospital.factories import SlotFactory
from tests.insurance.factories import national_code_mapped
from tests.insurance.test_settlement import insured_patient
from tests.pharmacy.conftest import ADDRESS
from tests.pharmacy.factories import ProductFactory, RxProductFactory, approved_item, stock

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


def _year(policy):
    return PolicyYear.objects.filter(policy=policy, year=YEAR).first() or PolicyYear(
        policy=policy, year=YEAR
    )


def _insured(**kwargs):
    patient, social = insured_patient(**kwargs)
    PolicyYear.objects.update_or_create(
        policy=social,
        year=YEAR,
        defaults={"deductible_met_fen": kwargs.get("deductible_met", 0)},
    )
    return patient, social


def _rx_in_cart(patient, *, packs=2, category="jia", price="38.50"):
    product = RxProductFactory(price=Decimal(price), drug__insurance_category=category)
    national_code_mapped(product.drug.code)
    stock(product, 10)
    item = approved_item(patient, product.drug, packs=packs)
    services.cart_line_add(
        account=patient.account,
        patient_id=patient.pk,
        product_id=product.pk,
        quantity=packs,
        prescription_item_id=item.pk,
        rx_notice_confirmed=True,
    )
    return product


def _device_in_cart(patient, price="30.00"):
    device = ProductFactory(price=Decimal(price))
    stock(device, 10)
    services.cart_line_add(
        account=patient.account, patient_id=patient.pk, product_id=device.pk, quantity=1
    )
    return device


def _checkout(patient):
    return services.order_checkout(account=patient.account, **ADDRESS)


def _pay(order):
    payment = services.order_pay(account=order.account, order_id=order.pk).payment
    if payment is not None:
        payment_sandbox_complete(payment=payment, succeed=True)
        payment.refresh_from_db()
    order.refresh_from_db()
    return payment


def test_checkout_shows_the_split_and_the_patient_pays_only_their_part():
    patient, social = _insured(deductible_met=180_000, balance=50_000)
    _rx_in_cart(patient)  # 2 × ¥38.50, category A
    _device_in_cart(patient)  # ¥30, not insured

    order = _checkout(patient)

    # Prescribed for hypertension (I10), a listed chronic disease: the pool pays 80 % of the
    # medicine, the personal account the rest of it; the device is the buyer's (shipping is
    # free from ¥99).
    assert order.gross_total == Decimal("107.00")
    assert order.insurance_share == Decimal("77.00")
    assert order.account_share == Decimal("15.40")
    assert order.patient_due == Decimal("30.00")
    settlement = Settlement.objects.get(patient=patient)
    assert settlement.status == Settlement.Status.QUOTED
    assert (settlement.insurer_fen, settlement.account_fen) == (6160, 1540)
    # A quote moves nothing.
    social.refresh_from_db()
    assert social.account_balance_fen == 50_000

    payment = _pay(order)

    assert payment.amount == Decimal("30.00")
    assert payment.covered_amount == Decimal("77.00")
    assert order.status == Order.Status.AWAITING_DISPENSING
    settlement.refresh_from_db()
    assert settlement.status == Settlement.Status.CONFIRMED
    social.refresh_from_db()
    assert social.account_balance_fen == 50_000 - 1540
    assert _year(social).chronic_paid_fen == 6160


def test_a_refunded_order_reverses_its_settlement_once():
    patient, social = _insured(deductible_met=180_000, balance=50_000)
    _rx_in_cart(patient)
    order = _checkout(patient)
    payment = _pay(order)

    services.order_cancel(order_id=order.pk, actor=patient.account, account=patient.account)
    services.order_cancel(order_id=order.pk, actor=patient.account, account=patient.account)

    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    # The patient gets back what they paid (the shipping), the payers what they settled.
    assert payment.refunded_amount == payment.amount == Decimal("10.00")
    settlement = Settlement.objects.get(patient=patient)
    assert settlement.status == Settlement.Status.REVERSED
    social.refresh_from_db()
    assert social.account_balance_fen == 50_000
    assert _year(social).chronic_paid_fen == 0


def test_medicine_without_a_prescription_and_uninsured_patients_pay_in_full():
    patient, _social = _insured(deductible_met=180_000)
    _device_in_cart(patient)
    order = _checkout(patient)
    assert order.insurance_share == 0
    assert order.patient_due == order.gross_total

    uninsured = PatientProfileFactory()
    _rx_in_cart(uninsured)
    order = _checkout(uninsured)
    assert order.insurance_share == 0
    assert order.patient_due == order.gross_total
    assert not Settlement.objects.filter(patient=uninsured).exists()


def test_category_c_medicine_is_the_patients_even_on_prescription():
    patient, _social = _insured(deductible_met=180_000, commercial=False)
    _rx_in_cart(patient, category="bing")
    order = _checkout(patient)
    assert order.insurance_share == 0
    line = Settlement.objects.get(patient=patient).lines.get()
    assert line.ownpay_full_fen == line.billed_fen == 7700


def test_a_quote_that_no_longer_holds_at_payment_is_refunded_not_charged_differently():
    patient, social = _insured(deductible_met=180_000, balance=3000, commercial=False)
    _rx_in_cart(patient)
    first = _checkout(patient)
    _rx_in_cart(patient)
    second = _checkout(patient)
    # Both were quoted on the same ¥30 personal account.
    assert first.account_share == second.account_share == Decimal("15.40")

    _pay(first)
    payment = _pay(second)

    assert first.status == Order.Status.AWAITING_DISPENSING
    assert second.status == Order.Status.CANCELLED
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refunded_amount == payment.amount
    social.refresh_from_db()
    assert social.account_balance_fen == 3000 - 1540  # moved by the first order only
    assert (
        Settlement.objects.filter(patient=patient, status=Settlement.Status.CONFIRMED).count() == 1
    )


def test_a_prescription_for_another_patient_on_the_account_settles_with_that_patients_policy():
    patient, social = _insured(deductible_met=180_000, balance=50_000, commercial=False)
    child = PatientProfileFactory(
        account=patient.account, relationship=PatientProfile.Relationship.CHILD
    )
    child_policy = Policy.objects.create(
        patient=child,
        plan=social.plan,
        member_number=f"S{child.pk}",
        starts_on=social.starts_on,
        account_balance_fen=10_000,
    )
    PolicyYear.objects.create(policy=child_policy, year=YEAR, deductible_met_fen=180_000)
    _rx_in_cart(patient)
    _rx_in_cart(child, price="20.00")
    order = _checkout(patient)
    # Insurance pays all of it, so there is nothing to pay through the gateway.
    assert order.patient_due == 0
    assert _pay(order) is None
    assert order.status == Order.Status.AWAITING_DISPENSING
    social.refresh_from_db()
    child_policy.refresh_from_db()
    assert social.account_balance_fen == 50_000 - 1540
    assert child_policy.account_balance_fen == 10_000 - 800  # 20 % of 2 × ¥20
    assert set(Settlement.objects.values_list("reference", flat=True)) == {
        f"pharmacy_order:{order.pk}:{patient.pk}",
        f"pharmacy_order:{order.pk}:{child.pk}",
    }


# --- consultation booking -----------------------------------------------------------------


def _slot(fee="50.00"):
    slot = SlotFactory(starts_at=timezone.now() + dt.timedelta(days=2))
    slot.doctor.services.update(fee=Decimal(fee))
    return slot


def _book(patient, slot, visit_type="follow_up"):
    return appointment_book(
        account=patient.account,
        patient_id=patient.pk,
        slot_id=slot.pk,
        mode=slot.mode,
        visit_type=visit_type,
        chief_complaint="复诊开药",
    )


def test_a_follow_up_booking_is_settled_on_payment_and_reversed_when_the_doctor_cancels():
    patient, social = _insured(deductible_met=180_000, balance=1000, commercial=False)
    appointment = _book(patient, _slot())

    # 70 % of ¥50 from the pool, ¥10 of the rest from the account, ¥5 by the patient.
    assert appointment.insurance_share == Decimal("45.00")
    assert appointment.account_share == Decimal("10.00")
    assert appointment.patient_due == Decimal("5.00")
    assert appointment.payment.amount == Decimal("5.00")

    payment_sandbox_complete(payment=appointment.payment, succeed=True)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    social.refresh_from_db()
    assert social.account_balance_fen == 0
    assert _year(social).pool_paid_fen == 3500

    appointment_cancel(actor=appointment.doctor.user, appointment_id=appointment.pk, reason="病假")

    social.refresh_from_db()
    assert social.account_balance_fen == 1000
    assert _year(social).pool_paid_fen == 0
    assert Settlement.objects.get(patient=patient).status == Settlement.Status.REVERSED
    appointment.payment.refresh_from_db()
    assert appointment.payment.refunded_amount == Decimal("5.00")


def test_a_first_visit_is_not_covered():
    patient, _social = _insured(deductible_met=180_000)
    appointment = _book(patient, _slot(), visit_type="first")
    assert appointment.insurance_share == 0
    assert appointment.payment.amount == appointment.fee


def test_a_moved_booking_keeps_its_settlement_and_a_later_refund_reverses_it():
    patient, social = _insured(deductible_met=180_000, balance=1000, commercial=False)
    old = _book(patient, _slot())
    payment_sandbox_complete(payment=old.payment, succeed=True)

    new = appointment_reschedule(account=patient.account, appointment_id=old.pk, slot_id=_slot().pk)

    assert new.status == Appointment.Status.CONFIRMED
    assert new.payment_id == old.payment_id
    assert (new.insurance_share, new.account_share) == (Decimal("45.00"), Decimal("10.00"))
    assert Settlement.objects.filter(status=Settlement.Status.CONFIRMED).count() == 1

    appointment_cancel(actor=patient.account, appointment_id=new.pk)

    social.refresh_from_db()
    assert social.account_balance_fen == 1000
    assert not Settlement.objects.filter(status=Settlement.Status.CONFIRMED).exists()


def test_a_booking_insurance_pays_in_full_is_confirmed_without_a_payment():
    patient, social = _insured(deductible_met=180_000, balance=100_000, commercial=False)
    Policy.objects.filter(pk=social.pk).update(account_balance_fen=100_000)
    appointment = _book(patient, _slot())
    assert appointment.patient_due == 0
    assert appointment.payment is None
    assert appointment.status == Appointment.Status.CONFIRMED
    assert Settlement.objects.get(patient=patient).status == Settlement.Status.CONFIRMED


def test_an_expired_quote_is_not_settled():
    patient, _social = _insured(deductible_met=180_000, commercial=False)
    _rx_in_cart(patient)
    order = _checkout(patient)
    Settlement.objects.update(quote_expires_at=timezone.now() - dt.timedelta(seconds=1))
    payment = _pay(order)
    assert order.status == Order.Status.CANCELLED
    assert payment.status == Payment.Status.REFUNDED
    with pytest.raises(Settlement.DoesNotExist):
        Settlement.objects.get(status=Settlement.Status.CONFIRMED)


# --- what the patient reads ------------------------------------------------------------------


def _text(response):
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_order_page_shows_insurance_account_and_you_pay_in_chinese(client):
    patient, _social = _insured(deductible_met=180_000, balance=50_000, commercial=False)
    _rx_in_cart(patient)
    _device_in_cart(patient)
    order = _checkout(patient)
    client.force_login(patient.account)

    text = _text(client.get(f"/shop/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"))

    assert "合计 ¥107.00" in text
    assert "医保支付 ¥61.60" in text
    assert "个人账户 ¥15.40" in text
    assert "您需支付 ¥30.00" in text


def test_the_appointments_page_shows_the_split_in_english(client):
    patient, _social = _insured(deductible_met=180_000, balance=1000, commercial=False)
    _book(patient, _slot())
    client.force_login(patient.account)

    text = _text(client.get("/appointments/", HTTP_ACCEPT_LANGUAGE="en"))

    assert "Insurance pays ¥35.00" in text
    assert "Personal account ¥10.00" in text
    assert "You pay ¥5.00" in text
