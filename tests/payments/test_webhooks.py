import json

import pytest

from payments.models import Payment, PaymentCallback
from payments.providers import get_provider
from tests.payments.factories import PaymentFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/payments/webhooks/sandbox/"


def post_callback(api_client, payment, status, *, event_id=None, amount=None, secret_ok=True):
    provider = get_provider("sandbox")
    body = json.loads(provider.callback_body(payment=payment, status=status, event_id=event_id))
    if amount is not None:
        body["amount"] = amount
    raw = json.dumps(body).encode()
    signature = provider.sign(raw) if secret_ok else "sha256=" + "0" * 64
    return api_client.post(
        URL, raw, content_type="application/json", HTTP_X_XINGLIN_SIGNATURE=signature
    )


def test_a_signed_paid_callback_marks_the_payment_paid(api_client):
    payment = PaymentFactory()
    response = post_callback(api_client, payment, "paid")
    assert response.status_code == 200
    assert response.json()["outcome"] == "applied"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert payment.captured_amount == payment.amount
    assert payment.provider_transaction_id.startswith("SBX")


def test_a_bad_signature_is_rejected_and_changes_nothing(api_client):
    payment = PaymentFactory()
    response = post_callback(api_client, payment, "paid", secret_ok=False)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_callback"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.WAITING
    assert not PaymentCallback.objects.exists()


def test_an_unsigned_or_garbled_body_is_a_400(api_client):
    assert api_client.post(URL, b"not json", content_type="application/json").status_code == 400
    provider = get_provider("sandbox")
    raw = b'{"status": "paid"}'
    response = api_client.post(
        URL, raw, content_type="application/json", HTTP_X_XINGLIN_SIGNATURE=provider.sign(raw)
    )
    assert response.status_code == 400


def test_a_signature_header_with_non_ascii_characters_is_a_400(api_client):
    response = api_client.post(
        URL, b"{}", content_type="application/json", HTTP_X_XINGLIN_SIGNATURE="sha256=é"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_callback"


@pytest.mark.parametrize(
    ("status", "amount"),
    [(["paid"], None), ({"paid": 1}, None), ("paid", "Infinity"), ("paid", "1e999999")],
)
def test_a_signed_body_with_values_of_the_wrong_kind_is_a_400(api_client, status, amount):
    payment = PaymentFactory()
    response = post_callback(api_client, payment, status, amount=amount)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_callback"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.WAITING
    assert not PaymentCallback.objects.exists()


def test_an_unknown_provider_is_a_404(api_client):
    assert (
        api_client.post(
            "/api/v1/payments/webhooks/nope/", b"{}", content_type="application/json"
        ).status_code
        == 404
    )


def test_the_same_event_twice_is_applied_once(api_client):
    payment = PaymentFactory()
    post_callback(api_client, payment, "paid", event_id="evt-1")
    again = post_callback(api_client, payment, "paid", event_id="evt-1")
    assert again.status_code == 200
    assert PaymentCallback.objects.count() == 1


def test_a_duplicate_paid_with_a_new_event_id_changes_nothing(api_client):
    payment = PaymentFactory()
    post_callback(api_client, payment, "paid")
    payment.refresh_from_db()
    paid_at = payment.paid_at
    response = post_callback(api_client, payment, "paid")
    assert response.json()["outcome"] == "duplicate"
    payment.refresh_from_db()
    assert payment.paid_at == paid_at


@pytest.mark.parametrize("late_status", ["pending", "failed", "cancelled"])
def test_a_late_status_after_paid_changes_nothing(api_client, late_status):
    payment = PaymentFactory()
    post_callback(api_client, payment, "paid")
    response = post_callback(api_client, payment, late_status)
    assert response.json()["outcome"] == "stale"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID


def test_paid_after_failed_is_applied(api_client):
    payment = PaymentFactory()
    post_callback(api_client, payment, "failed")
    post_callback(api_client, payment, "paid")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID


def test_a_wrong_amount_is_not_accepted_as_paid(api_client):
    payment = PaymentFactory()
    response = post_callback(api_client, payment, "paid", amount="0.01")
    assert response.json()["outcome"] == "rejected"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.WAITING
