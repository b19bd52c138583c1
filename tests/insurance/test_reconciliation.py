"""对账: a day's settlements against the day's payments and refunds, made through the real
checkout, booking, sandbox gateway and refunds. A broken state is faked with the ORM only where
no service could produce it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from hospital.booking.services.appointments import appointment_cancel
from insurance.models import ReconciliationDifference, ReconciliationRun, Settlement
from insurance.services.reconciliation import reconciliation_run, settlement_payment_key
from insurance.services.settlement import settlement_confirm, settlement_reverse
from insurance.tasks import reconcile_previous_day
from payments.services import payment_refund, payment_sandbox_complete
from pharmacy import services
from tests.accounts.factories import OperatorUserFactory, activate_totp
from tests.insurance.test_point_of_sale import _book, _checkout, _insured, _pay, _rx_in_cart, _slot
from tests.insurance.test_settlement import quote

pytestmark = pytest.mark.django_db

Kind = ReconciliationDifference.Kind


def _today():
    return timezone.localdate()


def _paid_booking():
    """A follow-up visit for ¥50: the pool pays ¥35, the account ¥10, the patient ¥5."""
    patient, _social = _insured(deductible_met=180_000, balance=1000, commercial=False)
    appointment = _book(patient, _slot())
    payment_sandbox_complete(payment=appointment.payment, succeed=True)
    appointment.refresh_from_db()
    appointment.payment.refresh_from_db()
    return appointment


def _kinds(run):
    return sorted(run.differences.values_list("kind", "reference"))


def test_the_payment_of_a_settlement_is_found_by_its_reference():
    assert settlement_payment_key("appointment:42") == ("appointment", "42")
    assert settlement_payment_key("pharmacy_order:7:3") == ("pharmacy_order", "7")


def test_a_clean_day_has_no_differences_and_its_totals_match():
    # A follow-up visit: ¥45 covered, the patient pays ¥5.
    _paid_booking()
    # 3 × ¥38.50 of category A medicine for hypertension (free shipping): the pool pays 80 %
    # (¥92.40), the account ¥10 of the rest, the patient ¥13.10. Amounts like these are not
    # exact in binary floating point: the order's checks hold on SQLite too.
    shopper, _social = _insured(deductible_met=180_000, balance=1000, commercial=False)
    _rx_in_cart(shopper, packs=3, price="38.50")
    _pay(_checkout(shopper))
    # A sale undone the same day, refunded and reversed, is no difference either: 2 × ¥38.50
    # all covered, the patient paid the ¥10 shipping and has it back.
    returner, _ = _insured(deductible_met=180_000, balance=50_000, commercial=False)
    _rx_in_cart(returner)
    undone = _checkout(returner)
    _pay(undone)
    services.order_cancel(order_id=undone.pk, actor=returner.account, account=returner.account)

    run = reconciliation_run(day=_today())

    assert _kinds(run) == []
    assert run.differences_count == 0
    assert (run.settlements_confirmed, run.settlements_reversed) == (3, 1)
    assert (run.settlements_confirmed_fen, run.settlements_reversed_fen) == (
        5000 + 11550 + 7700,
        7700,
    )
    assert (run.insurer_fen, run.account_fen) == (3500 + 9240 + 6160, 1000 + 1000 + 1540)
    # What the payers settled is what the payments were not charged, and the patients paid
    # their settled part plus the shipping.
    assert run.payments_covered_fen == run.insurer_fen + run.account_fen
    assert run.cash_fen == 500 + 1310
    assert (run.payments_captured, run.payments_captured_fen) == (3, run.cash_fen + 1000)
    assert (run.refunds, run.refunds_fen) == (1, 1000)
    # The centre's day (3201) is ours: the two sales that stand, the reversed one in neither.
    assert (run.centre_settlements, run.centre_hifp_fen, run.centre_acct_fen) == (
        2,
        3500 + 9240,
        1000 + 1000,
    )
    assert (run.social_settlements, run.social_hifp_fen, run.social_acct_fen) == (
        2,
        3500 + 9240,
        1000 + 1000,
    )
    assert run.centre_medfee_fen == run.social_medfee_fen == 5000 + 11550


def test_a_settlement_whose_patient_part_was_never_paid_is_reported():
    patient, _social = _insured(deductible_met=180_000, commercial=False)
    # Settled under an expense no payment was ever made for.
    settlement = settlement_confirm(settlement_id=quote(patient, reference="appointment:999999").pk)
    assert settlement.cash_fen > 0

    run = reconciliation_run(day=_today())

    assert _kinds(run) == [(Kind.SETTLEMENT_WITHOUT_PAYMENT, "appointment:999999")]
    difference = run.differences.get()
    assert difference.settlement == settlement
    assert (difference.settlement_cash_fen, difference.payment_fen) == (settlement.cash_fen, 0)


def test_a_payment_insurance_covered_but_never_settled_is_reported():
    appointment = _paid_booking()
    # Faked: the confirmation lost, as if the settlement had never been made final.
    Settlement.objects.filter(reference=f"appointment:{appointment.pk}").update(
        status=Settlement.Status.QUOTED, confirmed_at=None
    )

    run = reconciliation_run(day=_today())

    # The centre settled it all the same: its day differs from ours too.
    assert _kinds(run) == [
        (Kind.CENTRE_TOTALS_MISMATCH, f"3201:{_today().isoformat()}"),
        (Kind.PAYMENT_WITHOUT_SETTLEMENT, f"appointment:{appointment.pk}"),
    ]
    difference = run.differences.get(kind=Kind.PAYMENT_WITHOUT_SETTLEMENT)
    assert difference.payment == appointment.payment
    assert (difference.payment_fen, difference.payment_covered_fen) == (500, 4500)


def test_a_refund_that_left_the_settlement_standing_is_reported():
    appointment = _paid_booking()
    # Refunded at the gateway's side of things only: the booking and its settlement stand.
    refund = payment_refund(payment_id=appointment.payment_id, reason="goodwill")

    run = reconciliation_run(day=_today())

    assert _kinds(run) == [(Kind.REFUND_WITHOUT_REVERSAL, f"appointment:{appointment.pk}")]
    difference = run.differences.get()
    assert difference.refund == refund
    assert (difference.settlement_cash_fen, difference.refunded_fen) == (500, 500)


def test_a_reversal_without_the_patient_part_refunded_is_reported():
    appointment = _paid_booking()
    settlement = Settlement.objects.get(reference=f"appointment:{appointment.pk}")
    # Reversed alone (as the admin action does), the patient's ¥5 still with the hospital.
    settlement_reverse(settlement_id=settlement.pk, reason="reversed by an operator")

    run = reconciliation_run(day=_today())

    assert _kinds(run) == [(Kind.REVERSAL_WITHOUT_REFUND, f"appointment:{appointment.pk}")]
    difference = run.differences.get()
    assert (difference.settlement_cash_fen, difference.refunded_fen) == (500, 0)


def test_a_reversal_with_its_refund_through_the_booking_is_clean():
    appointment = _paid_booking()
    appointment_cancel(actor=appointment.doctor.user, appointment_id=appointment.pk, reason="病假")

    run = reconciliation_run(day=_today())

    assert run.differences_count == 0
    assert (run.settlements_reversed, run.refunds, run.refunds_fen) == (1, 1, 500)


def test_a_settlement_that_split_differently_from_the_payment_is_reported():
    appointment = _paid_booking()
    # Faked: the settlement says the account paid ¥1 less and the patient ¥1 more than charged.
    Settlement.objects.filter(reference=f"appointment:{appointment.pk}").update(
        account_fen=900, cash_fen=600
    )

    run = reconciliation_run(day=_today())

    # The centre's account total (¥10) is not the settlement's (¥9) either.
    assert _kinds(run) == [
        (Kind.AMOUNT_MISMATCH, f"appointment:{appointment.pk}"),
        (Kind.CENTRE_TOTALS_MISMATCH, f"3201:{_today().isoformat()}"),
    ]
    difference = run.differences.get(kind=Kind.AMOUNT_MISMATCH)
    assert (difference.settlement_cash_fen, difference.payment_fen) == (600, 500)
    assert (difference.settlement_covered_fen, difference.payment_covered_fen) == (4400, 4500)


def test_running_a_day_again_replaces_its_run():
    appointment = _paid_booking()
    payment_refund(payment_id=appointment.payment_id, reason="goodwill")
    first = reconciliation_run(day=_today())
    second = reconciliation_run(day=_today())

    assert ReconciliationRun.objects.get() == second
    assert second.pk != first.pk
    assert ReconciliationDifference.objects.count() == second.differences_count == 1


def test_the_nightly_task_reconciles_the_day_before():
    _paid_booking()
    yesterday = _today()
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        assert reconcile_previous_day() == 0
    run = ReconciliationRun.objects.get()
    assert run.day == yesterday
    assert (run.settlements_confirmed, run.payments_captured) == (1, 1)


def test_an_operator_reads_the_report_and_runs_a_day_again():
    appointment = _paid_booking()
    payment_refund(payment_id=appointment.payment_id, reason="goodwill")
    run = reconciliation_run(day=_today())
    operator = OperatorUserFactory()
    activate_totp(operator)
    client = Client()
    client.force_login(operator)

    listing = client.get(
        "/admin/insurance/reconciliationrun/?differences=yes", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert listing.status_code == 200
    link = f"/admin/insurance/reconciliationrun/{run.pk}/change/"
    assert link in listing.content.decode()
    clean = client.get("/admin/insurance/reconciliationrun/?differences=no")
    assert link not in clean.content.decode()
    page = client.get(
        f"/admin/insurance/reconciliationrun/{run.pk}/change/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Refunded, but the settlement was not reversed" in page
    assert f"appointment:{appointment.pk}" in page
    assert "¥5.00" in page
    # The centre's day beside ours: the ¥35.00 the pool paid, on both sides.
    assert "The medical-insurance centre&#x27;s day (3201) and ours" in page
    assert page.count("¥35.00") >= 2

    response = client.post(
        "/admin/insurance/reconciliationrun/",
        {"action": "run_again", "_selected_action": [run.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert f"{run.day:%Y-%m-%d}: 1 difference." in response.content.decode()
    assert ReconciliationRun.objects.get().pk != run.pk


def test_a_settlement_the_centre_undid_without_us_is_reported_against_its_totals():
    from insurance.models import CentreSettlement

    appointment = _paid_booking()
    settlement = Settlement.objects.get(reference=f"appointment:{appointment.pk}")
    # The centre cancelled it on its side (an operator at the centre); nothing here knows.
    CentreSettlement.objects.filter(setl_id=settlement.setl_id).update(
        status=CentreSettlement.Status.CANCELLED
    )

    run = reconciliation_run(day=_today())

    assert _kinds(run) == [(Kind.CENTRE_TOTALS_MISMATCH, f"3201:{_today().isoformat()}")]
    assert (run.centre_settlements, run.social_settlements) == (0, 1)
    assert (run.centre_hifp_fen, run.social_hifp_fen) == (0, 3500)


def test_a_settlement_still_pending_here_differs_from_the_centre_until_it_is_refreshed(settings):
    from insurance.services.settlement import settlements_refresh_pending

    settings.INSURANCE_GATEWAY_SIMULATE_UNCONFIRMED = True
    appointment = _paid_booking()
    settlement = Settlement.objects.get(reference=f"appointment:{appointment.pk}")
    assert settlement.status == Settlement.Status.PENDING

    run = reconciliation_run(day=_today())
    assert (Kind.CENTRE_TOTALS_MISMATCH, f"3201:{_today().isoformat()}") in _kinds(run)
    assert (run.centre_settlements, run.social_settlements) == (1, 0)

    assert settlements_refresh_pending() == 1
    run = reconciliation_run(day=_today())
    assert Kind.CENTRE_TOTALS_MISMATCH not in {kind for kind, _ in _kinds(run)}
    assert run.centre_settlements == run.social_settlements == 1
