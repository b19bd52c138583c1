"""Stored content is inert: script and attribute-injection payloads written into the free-text
fields people fill in (names, chief complaints, chat messages, allergies, addresses, reasons,
claim lines, notices) come back as text in every page, admin page and PDF that shows them.

The payloads are stored straight into the demo's rows, as if typed into a form, then each place
that shows them is rendered as its reader sees it: the page for the patient, the treating doctor,
the pharmacist or the claims officer; the admin for an operator; the HTML each PDF is drawn from.
A place passes when no payload survives as markup and the escaped text of one is there (so the
field was really rendered)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Model
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import PatientProfile
from hospital.consultations.models import Consultation, ConsultationMessage, Referral
from hospital.consultations.referral_letter import referral_letter_context
from hospital.consultations.summary import summary_context
from hospital.housecalls.models import HouseCall
from hospital.prescriptions.models import Prescription
from hospital.prescriptions.pdf import prescription_pdf_context
from hospital.records.models import Allergy
from insurance import selectors as insurance_selectors
from insurance.models import Claim, ClaimLine
from notifications.models import Notification
from pharmacy.models import Order
from tests.security.access_matrix import signed_in_clients
from tests.security.demo_objects import demo_objects

pytestmark = pytest.mark.django_db

# Fits a 50-character name; each part is a way out of text or out of an attribute value.
SHORT = '<img src=x onerror=alert(1)>"onfocus="alert(2)'
LONG = (
    '<script>alert("xss")</script><img src=x onerror=alert(1)>'
    '" autofocus onfocus="alert(2)" x=\'<svg onload=alert(3)>'
)
LIVE_MARKUP = ("<script>alert", "<img src=x", 'onfocus="alert', "<svg onload")
ESCAPED = ("&lt;img src=x onerror=alert(1)&gt;",)


def _assert_inert(html: str, where: str) -> None:
    live = [markup for markup in LIVE_MARKUP if markup in html]
    assert live == [], f"{where} shows stored markup as markup: {live}"
    assert any(text in html for text in ESCAPED), f"{where} did not show the stored text"


def _store(instance: Model, **fields: Any) -> None:
    type(instance)._default_manager.filter(pk=instance.pk).update(**fields)


@pytest.fixture
def stored(django_capture_on_commit_callbacks) -> dict[str, Any]:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    objects = demo_objects()
    profile = PatientProfile.objects.get(pk=objects["profile"])
    _store(profile, real_name=SHORT)
    consultation = Consultation.objects.get(pk=objects["consultation"])
    _store(consultation, chief_complaint=LONG)
    ConsultationMessage.objects.filter(pk=objects["message"]).update(body=LONG)
    ConsultationMessage.objects.filter(consultation=consultation, kind="text").update(body=LONG)
    Allergy.objects.filter(pk=objects["allergy"]).update(substance=LONG[:100], reaction=LONG[:200])
    order = Order.objects.get(pk=objects["order"])
    _store(order, recipient_name=SHORT, address=LONG[:200])
    claim = Claim.objects.get(pk=objects["claim"])
    ClaimLine.objects.filter(claim=claim).update(description=LONG[:200])
    _store(HouseCall.objects.get(pk=objects["house_call"]), address=LONG[:200], symptoms=LONG)
    referral = Referral.objects.get(pk=objects["referral"])
    _store(referral, reason=LONG, clinical_summary=LONG)
    # A notice whose text is a person's words, newest so the inbox's first page shows it.
    Notification.objects.filter(pk=objects["notification"]).update(
        subject_msgid="", body_msgid="", subject=SHORT, body=LONG, created_at=timezone.now()
    )
    return objects


def test_pages_show_stored_markup_as_text(stored):
    clients = signed_in_clients()
    pages = {
        "patient": [
            reverse("hospital:consultation-detail", args=[stored["consultation"]]),
            reverse("hospital:record", args=[stored["profile"]]),
            reverse("pharmacy:order-detail", args=[stored["order"]]),
            reverse("insurance:claim", args=[stored["claim"]]),
            reverse("hospital:referral-detail", args=[stored["referral"]]),
            reverse("hospital:house-call-detail", args=[stored["house_call"]]),
            reverse("accounts:patient_edit", args=[stored["profile"]]),
            reverse("notifications:inbox"),
        ],
        "doctor": [
            reverse("hospital:consultation-detail", args=[stored["consultation"]]),
            reverse("hospital:record", args=[stored["profile"]]),
            reverse("hospital:referral-detail", args=[stored["referral"]]),
            reverse("hospital:doctor-house-calls"),
        ],
        "pharmacist": [reverse("hospital:review-detail", args=[stored["pending"]])],
        "claims_officer": [reverse("insurance:review-claim", args=[stored["claim_in_review"]])],
    }
    for role, paths in pages.items():
        for path in paths:
            response = clients[role].get(path)
            assert response.status_code == 200, (role, path, response.status_code)
            _assert_inert(response.content.decode(), f"{path} for the {role}")


# The admin of each model holding stored text → the demo object to open (a claim's lines and a
# consultation's messages are shown inline on their parent's page).
ADMIN_PAGES: dict[type[Model], str] = {
    PatientProfile: "profile",
    Consultation: "consultation",
    Allergy: "allergy",
    Order: "order",
    Claim: "claim",
    Referral: "referral",
    HouseCall: "house_call",
}


def test_admin_shows_stored_markup_as_text(stored):
    operator = signed_in_clients()["operator"]
    for model, kind in ADMIN_PAGES.items():
        meta = model._meta
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        changelist = operator.get(reverse(f"{prefix}_changelist"))
        change = operator.get(reverse(f"{prefix}_change", args=[stored[kind]]))
        assert (changelist.status_code, change.status_code) == (200, 200), meta
        _assert_inert(change.content.decode(), f"the {meta} admin page")
        assert not any(markup in changelist.content.decode() for markup in LIVE_MARKUP), meta


def test_pdfs_are_drawn_from_html_that_shows_stored_markup_as_text(stored):
    consultation = Consultation.objects.get(pk=stored["consultation"])
    referral = Referral.objects.get(pk=stored["referral"])
    prescription = Prescription.objects.get(pk=stored["prescription"])
    claim = Claim.objects.get(pk=stored["claim"])
    documents = {
        "visit summary": render_to_string(
            "hospital/consultations/summary_pdf.html", summary_context(consultation)
        ),
        "referral letter": render_to_string(
            "hospital/consultations/referral_letter_pdf.html", referral_letter_context(referral)
        ),
        "prescription": render_to_string(
            "hospital/prescriptions/prescription_pdf.html",
            prescription_pdf_context(prescription, verify_url="https://xinglin.test/verify/"),
        ),
        "explanation of benefits": render_to_string(
            "insurance/eob_pdf.html",
            {"eob": insurance_selectors.explanation_of_benefits(claim=claim)},
        ),
    }
    for name, html in documents.items():
        _assert_inert(html, f"the {name} PDF")
