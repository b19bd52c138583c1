from decimal import Decimal

import pytest

from core.exceptions import DomainError
from payments.models import Payment, Refund
from payments.services import payment_refund, payment_sandbox_complete
from tests.payments.factories import PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid():
    payment = PaymentFactory(gross_amount=Decimal("100.00"))
    payment_sandbox_complete(payment=payment, succeed=True)
    payment.refresh_from_db()
    return payment


def test_a_full_refund_is_paid_back_after_commit(paid, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        refund = payment_refund(payment_id=paid.pk, reason="cancelled")
    refund.refresh_from_db()
    paid.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.amount == Decimal("100.00")
    assert paid.status == Payment.Status.REFUNDED


def test_refunds_never_exceed_what_was_paid(paid):
    payment_refund(payment_id=paid.pk, reason="part", amount=Decimal("60.00"))
    with pytest.raises(DomainError):
        payment_refund(payment_id=paid.pk, reason="too much", amount=Decimal("50.00"))
    payment_refund(payment_id=paid.pk, reason="rest")
    paid.refresh_from_db()
    assert paid.refunded_amount == Decimal("100.00")
    assert payment_refund(payment_id=paid.pk, reason="again") is None
    assert sum(r.amount for r in paid.refunds.all()) == Decimal("100.00")


def test_an_unpaid_payment_cannot_be_refunded():
    payment = PaymentFactory()
    with pytest.raises(DomainError):
        payment_refund(payment_id=payment.pk, reason="nothing to give back")


def test_insurance_covered_part_is_not_charged_or_refunded():
    payment = PaymentFactory(gross_amount=Decimal("100.00"), covered_amount=Decimal("70.00"))
    assert payment.amount == Decimal("30.00")
    payment_sandbox_complete(payment=payment, succeed=True)
    refund = payment_refund(payment_id=payment.pk, reason="cancelled")
    assert refund.amount == Decimal("30.00")
