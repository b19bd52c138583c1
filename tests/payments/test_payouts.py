"""Payouts: money we send once per purpose and reference, sent again only after a refusal."""

from decimal import Decimal

import pytest

from core.exceptions import DomainError
from payments.models import Payout
from payments.services import payout_request, payout_submit
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_asking_twice_for_the_same_payout_gives_the_same_one():
    payee = UserFactory()
    first = payout_request(payee=payee, purpose="claim", reference="7", amount=Decimal("12.30"))
    again = payout_request(payee=payee, purpose="claim", reference="7", amount=Decimal("12.30"))
    assert first.pk == again.pk
    assert Payout.objects.count() == 1


def test_a_sent_payout_is_not_sent_again():
    payout = payout_request(
        payee=UserFactory(), purpose="claim", reference="8", amount=Decimal("5.00")
    )
    sent = payout_submit(payout_id=payout.pk)
    assert (sent.status, sent.provider_payout_id) == (
        Payout.Status.SUCCEEDED,
        f"SBXP{payout.pk:010d}",
    )
    assert payout_submit(payout_id=payout.pk).attempts == 1


def test_a_refused_payout_takes_the_new_amount_and_is_sent_again(settings):
    payee = UserFactory()
    settings.PAYMENT_SANDBOX_PAYOUTS_FAIL = True
    payout = payout_request(payee=payee, purpose="claim", reference="9", amount=Decimal("50.00"))
    refused = payout_submit(payout_id=payout.pk)
    assert refused.status == Payout.Status.FAILED
    assert refused.failure_reason

    settings.PAYMENT_SANDBOX_PAYOUTS_FAIL = False
    again = payout_request(payee=payee, purpose="claim", reference="9", amount=Decimal("40.00"))
    sent = payout_submit(payout_id=again.pk)
    assert (sent.pk, sent.amount, sent.status, sent.attempts) == (
        payout.pk,
        Decimal("40.00"),
        Payout.Status.SUCCEEDED,
        2,
    )
    # Once sent, what was paid stays what was paid.
    later = payout_request(payee=payee, purpose="claim", reference="9", amount=Decimal("1.00"))
    assert later.amount == Decimal("40.00")


@pytest.mark.parametrize("amount", ["0", "-1.00"])
def test_a_payout_of_nothing_is_refused(amount):
    with pytest.raises(DomainError) as error:
        payout_request(payee=UserFactory(), purpose="claim", reference="x", amount=Decimal(amount))
    assert error.value.field == "amount"
    assert not Payout.objects.exists()
