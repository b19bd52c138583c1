from decimal import Decimal

import pytest

from payments.models import Payment
from tests.accounts.factories import PatientUserFactory
from tests.payments.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def test_another_accounts_sandbox_payment_is_a_404_and_stays_unpaid(client):
    payment = PaymentFactory()
    client.force_login(PatientUserFactory())
    url = f"/payments/sandbox/{payment.token}/"

    assert client.get(url).status_code == 404
    assert client.post(url, {"choice": "pay"}).status_code == 404
    payment.refresh_from_db()
    assert payment.status == Payment.Status.WAITING


def test_the_payer_pays_on_the_sandbox_page(client):
    payment = PaymentFactory()
    client.force_login(payment.payer)

    response = client.post(f"/payments/sandbox/{payment.token}/", {"choice": "pay"})

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID


@pytest.mark.parametrize(
    ("asked", "kept"),
    [
        ("/appointments/", "/appointments/"),
        ("/shop/orders/7/?paid=1", "/shop/orders/7/?paid=1"),
        ("//evil.example/", ""),
        ("/\\evil.example/", ""),
        ("https://evil.example/", ""),
        ("appointments/", ""),
    ],
)
def test_after_paying_the_payer_only_ever_returns_to_a_page_of_this_site(asked, kept):
    from payments.services import payment_create

    payment = payment_create(
        payer=PatientUserFactory(),
        purpose="test",
        reference="r-1",
        gross_amount=Decimal("10.00"),
        return_path=asked,
    )
    assert payment.return_path == kept
