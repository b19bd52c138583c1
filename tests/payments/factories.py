from decimal import Decimal

import factory

from payments.models import Payment
from tests.accounts.factories import PatientUserFactory


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    payer = factory.SubFactory(PatientUserFactory)
    purpose = "test"
    reference = factory.Sequence(str)
    gross_amount = Decimal("80.00")
    covered_amount = Decimal("0.00")
    amount = factory.LazyAttribute(lambda o: o.gross_amount - o.covered_amount)
    provider = "sandbox"
