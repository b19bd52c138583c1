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
