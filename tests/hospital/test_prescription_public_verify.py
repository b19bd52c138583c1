"""The public check behind a prescription's QR code: anyone holding the paper learns whether it
is genuine, unaltered and dispensable, sees what was prescribed and only a masked patient; a
made-up code finds nothing and a script walking codes is slowed down."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.test import Client, RequestFactory

from audit.models import AccessLogEntry
from hospital.prescriptions.models import Prescription, PrescriptionItem
from hospital.prescriptions.pages.prescribing import PUBLIC_VERIFY_LIMIT
from hospital.prescriptions.pdf import prescription_public_verify_url
from hospital.prescriptions.selectors import mask_name
from hospital.prescriptions.services.review import prescription_approve
from hospital.prescriptions.signature import VERIFY_TOKEN_SALT, prescription_verify_token
from tests.accounts.factories import PharmacistUserFactory
from tests.hospital.prescription_factories import draft, item, load_formulary, signed

pytestmark = pytest.mark.django_db

GENUINE = "Genuine and unaltered"
ALTERED = "no longer matches its signature"


@pytest.fixture(autouse=True)
def _formulary():
    load_formulary()


def _approved() -> Prescription:
    rx = signed(None, item())
    return prescription_approve(pharmacist=PharmacistUserFactory(), prescription_id=rx.pk)


def _page(rx: Prescription, client: Client | None = None):
    client = client or Client(HTTP_ACCEPT_LANGUAGE="en")
    return client.get(f"/rx/{prescription_verify_token(rx)}/")


def test_an_approved_prescription_is_shown_genuine_to_anyone_with_a_masked_patient():
    rx = _approved()
    patient = rx.patient
    response = _page(rx)
    assert response.status_code == 200
    text = response.content.decode()
    assert GENUINE in text
    drug = rx.items.get().drug
    assert drug.generic_name_zh in text
    assert mask_name(patient.real_name) in text
    assert patient.real_name not in text
    assert patient.resident_id_number not in text
    entry = AccessLogEntry.objects.get(
        object_type="prescription", object_id=str(rx.pk), detail__startswith="public"
    )
    assert entry.actor is None
    assert entry.detail == "public verification: dispensable"


def test_the_page_reads_in_chinese_by_default():
    rx = _approved()
    text = _page(rx, Client()).content.decode()
    assert "处方核验" in text


def test_content_changed_behind_the_signature_is_flagged_do_not_dispense():
    rx = _approved()
    PrescriptionItem.objects.filter(prescription=rx).update(quantity_packs=9)
    text = _page(rx).content.decode()
    assert ALTERED in text
    assert GENUINE not in text


@pytest.mark.parametrize("change", ["pending", "expired", "lapsed"])
def test_a_prescription_not_approved_or_past_its_validity_is_not_dispensable(change):
    rx = signed(None, item()) if change == "pending" else _approved()
    if change == "expired":
        Prescription.objects.filter(pk=rx.pk).update(status=Prescription.Status.EXPIRED)
    rx.refresh_from_db()
    if change == "lapsed":
        # Still approved (the expiry scan has not run) but past its last valid day.
        after = dt.datetime.combine(rx.valid_until, dt.time(12), tzinfo=dt.UTC)
        with time_machine.travel(after + dt.timedelta(days=1)):
            text = _page(rx).content.decode()
    else:
        text = _page(rx).content.decode()
    assert GENUINE not in text
    assert "Do not dispense" in text


def test_drafts_and_made_up_codes_find_nothing():
    rx = draft(None, item())
    assert _page(rx).status_code == 404
    approved = _approved()
    forged = signing.dumps(approved.pk, salt="some-other-purpose")
    client = Client()
    assert client.get(f"/rx/{forged}/").status_code == 404
    assert client.get(f"/rx/{approved.pk}/").status_code == 404
    not_an_id = signing.dumps("1 OR 1=1", salt=VERIFY_TOKEN_SALT)
    assert client.get(f"/rx/{not_an_id}/").status_code == 404


def test_a_script_walking_codes_is_refused_after_the_limit(one_rate_window):
    rx = _approved()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    statuses = [_page(rx, client).status_code for _ in range(PUBLIC_VERIFY_LIMIT)]
    assert statuses == [200] * PUBLIC_VERIFY_LIMIT
    assert _page(rx, client).status_code == 429
    assert client.get("/rx/made-up/").status_code == 429


def test_the_qr_link_on_the_pdf_opens_this_prescriptions_check():
    rx = _approved()
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    url = prescription_public_verify_url(request, rx)
    assert url.startswith("http://testserver/rx/")
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert f"#{rx.pk}" in response.content.decode()


def test_names_are_masked_after_their_first_character():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("") == ""
