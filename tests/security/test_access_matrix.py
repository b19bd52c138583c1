"""The access matrix: every route that names an object × every method it answers × every role,
with the answer each role gets (the letters are explained in tests/security/access_matrix.py).

Columns, in the order the roles ask: anonymous, another patient, another doctor, pharmacist,
claims officer, operator, the treating doctor, the patient. So "LHHHHHHA" is a patient's own
object: signed out asked to sign in, everyone else told it does not exist, the patient served.

A route added to the site that names an object fails `test_every_route_naming_an_object_is_in
_the_matrix` until it has its row here."""

from __future__ import annotations

import io
from dataclasses import replace
from pprint import pformat

from django.core.management import call_command

from tests.security.access_matrix import ROLES, object_routes, observe, signed_in_clients
from tests.security.demo_objects import demo_objects

# Route name → (the demo object its parameters name, {method: one letter per role}).
EXPECTED: dict[str, tuple[str, dict[str, str]]] = {
    "accounts_api:patient_detail": ("profile", {"GET": "LHHHHHHA", "PATCH": "LHHHHHHA"}),
    "notifications_api:notification-read": ("notification", {"POST": "LHHHHHHA"}),
    "payments_api:detail": ("payment", {"GET": "LHHHHHHA"}),
    "insurance_api:policy-eligibility": ("policy", {"GET": "LHHHHHHA"}),
    "insurance_api:claim-detail": ("claim", {"GET": "LHHHHHHA"}),
    "insurance_api:claim-document-create": ("claim", {"POST": "LHHHHHHA"}),
    "insurance_api:settlement-detail": ("settlement", {"GET": "LHHHHHHA"}),
    "insurance_api:claim-decide": ("claim_in_review", {"POST": "LFFFAFFF"}),
    "hospital_api:doctor-detail": ("doctor", {"GET": "AAAAAAAA"}),
    "hospital_api:my-credential-detail": ("credential", {"GET": "LHHHHHAH"}),
    "hospital_api:my-credential-scan": ("credential", {"GET": "LHHHHHAH"}),
    "hospital_api:doctor-slots": ("doctor", {"GET": "AAAAAAAA"}),
    "hospital_api:appointment-detail": ("appointment", {"GET": "LHHHHHHA"}),
    "hospital_api:appointment-cancel": ("appointment", {"POST": "LHHHHAAA"}),
    "hospital_api:appointment-reschedule": ("appointment", {"POST": "LHHHHHHA"}),
    "hospital_api:appointment-pay": ("appointment", {"POST": "LHHHHHHA"}),
    "hospital_api:consultation-detail": ("consultation", {"GET": "LHHHHHAA"}),
    "hospital_api:consultation-claim": ("consultation", {"POST": "LFHFFFHF"}),
    "hospital_api:consultation-cancel": ("consultation", {"POST": "LHHHHHHA"}),
    "hospital_api:consultation-messages": ("consultation", {"GET": "LHHHHHAA", "POST": "LHHHHHAA"}),
    "hospital_api:consultation-message-attachment": ("consultation+message", {"GET": "LHHHHHAA"}),
    "hospital_api:consultation-diagnoses": ("consultation", {"POST": "LHHHHHAH"}),
    "hospital_api:consultation-follow-up": ("consultation", {"POST": "LHHHHHAA"}),
    "hospital_api:consultation-close": ("consultation", {"POST": "LHHHHHAA"}),
    "hospital_api:consultation-refer": ("consultation", {"POST": "LHHHHHAA"}),
    "hospital_api:consultation-rating": ("consultation", {"POST": "LHHHHHAA"}),
    "hospital_api:consultation-video-join": ("consultation", {"POST": "LHHHHHAA"}),
    "hospital_api:consultation-phone": ("consultation", {"GET": "LHHHHHAA"}),
    "hospital_api:consultation-summary-pdf": ("consultation", {"GET": "LHHHHHAA"}),
    "hospital_api:appointment-consultation-open": ("appointment", {"POST": "LHHHHHAA"}),
    "hospital_api:device": ("device", {"GET": "LHHHHHHA", "DELETE": "LHHHHHHA"}),
    "hospital_api:patient-record": ("profile", {"GET": "LHHHHHAA"}),
    "hospital_api:patient-allergies": ("profile", {"GET": "LHHHHHAA", "POST": "LHHHHHAA"}),
    "hospital_api:patient-allergy": ("profile+allergy", {"PATCH": "LHHHHHAA"}),
    "hospital_api:patient-conditions": ("profile", {"GET": "LHHHHHAA", "POST": "LHHHHHAA"}),
    "hospital_api:patient-condition": ("profile+condition", {"PATCH": "LHHHHHAA"}),
    "hospital_api:patient-medications": ("profile", {"GET": "LHHHHHAA", "POST": "LHHHHHAA"}),
    "hospital_api:patient-medication": ("profile+medication", {"PATCH": "LHHHHHAA"}),
    "hospital_api:patient-readings": ("profile", {"GET": "LHHHHHAA", "POST": "LHHHHHAA"}),
    "hospital_api:patient-reading-entered-in-error": ("profile+reading", {"POST": "LHHHHHAA"}),
    "hospital_api:patient-documents": ("profile", {"GET": "LHHHHHAA", "POST": "LHHHHHAA"}),
    "hospital_api:patient-document-download": ("profile+document", {"GET": "LHHHHHAA"}),
    "hospital_api:patient-document-entered-in-error": (
        "profile+document_to_void",
        {"POST": "LHHHHHAA"},
    ),
    "hospital_api:patient-clinical-profile": ("profile", {"GET": "LHHHHHAA", "PATCH": "LHHHHHAA"}),
    "hospital_api:patient-access-log": ("profile", {"GET": "LHHHHHHA"}),
    "hospital_api:patient-fhir": ("profile", {"GET": "LHHHHHAA"}),
    "hospital_api:consultation-prescription-create": ("consultation", {"POST": "LHHHHHAA"}),
    "hospital_api:prescription-detail": ("prescription", {"GET": "LHHAHHAA", "PATCH": "LHHHHHAH"}),
    "hospital_api:prescription-check": ("draft", {"POST": "LHHHHHAH"}),
    "hospital_api:prescription-sign": ("draft", {"POST": "LHHHHHAH"}),
    "hospital_api:prescription-extend": ("prescription", {"POST": "LHHAHHAA"}),
    "hospital_api:prescription-revise": ("prescription", {"POST": "LHHHHHAH"}),
    "hospital_api:prescription-versions": ("prescription", {"GET": "LHHAHHAA"}),
    "hospital_api:prescription-verify": ("prescription", {"GET": "LHHAHHAA"}),
    "hospital_api:prescription-pdf": ("prescription", {"GET": "LHHAHHAA"}),
    "hospital_api:prescription-approve": ("pending", {"POST": "LFFAFFFF"}),
    "hospital_api:prescription-reject": ("pending", {"POST": "LFFAFFFF"}),
    "hospital_api:prescription-review-release": ("pending", {"POST": "LFFAFFFF"}),
    "hospital_api:prescription-renewal-request": ("prescription", {"POST": "LHHHHHHA"}),
    "hospital_api:renewal-request-accept": ("renewal", {"POST": "LHHHHHAH"}),
    "hospital_api:renewal-request-decline": ("renewal", {"POST": "LHHHHHAA"}),
    "hospital_api:medication-schedule-times": ("schedule", {"POST": "LHHHHHHA"}),
    "hospital_api:medication-dose-taken": ("dose", {"POST": "LHHHHHHA"}),
    "hospital_api:medication-dose-snooze": ("dose", {"POST": "LHHHHHHA"}),
    "hospital_api:patient-adherence": ("profile", {"GET": "LHHHHHAA"}),
    "pharmacy_api:product-detail": ("product", {"GET": "AAAAAAAA"}),
    "pharmacy_api:cart-line-detail": ("cart_line", {"PATCH": "LHHHHHHA", "DELETE": "LHHHHHHA"}),
    "pharmacy_api:order-detail": ("order", {"GET": "LHHHHHHA"}),
    "pharmacy_api:order-pay": ("order", {"POST": "LHHHHHHA"}),
    "pharmacy_api:order-cancel": ("order", {"POST": "LHHHHHHA"}),
    "pharmacy_api:order-tracking": ("order", {"GET": "LHHHHHHA"}),
    "pharmacy_api:order-return": ("order", {"POST": "LHHHHHHA"}),
    "pharmacy_api:order-complaint": ("order", {"POST": "LHHHHHHA"}),
    "pharmacy_api:order-dispense": ("order", {"POST": "LFFAFFFF"}),
    "accounts:patient_edit": ("profile", {"GET": "LHHHHHHA", "POST": "LHHHHHHA"}),
    "notifications:notification_read": ("notification", {"GET": "LMMMMMMM", "POST": "LHHHHHHA"}),
    "payments:sandbox": ("payment", {"GET": "LHHHHHHA", "POST": "LHHHHHHA"}),
    "insurance:claim": ("claim", {"GET": "LHHHHHHA", "POST": "LHHHHHHA"}),
    "insurance:claim-eob-pdf": ("claim", {"GET": "LHHHHHHA", "POST": "LHHHHHHA"}),
    "insurance:settlement": ("settlement", {"GET": "LHHHHHHA", "POST": "LHHHHHHA"}),
    "insurance:settlement-eob-pdf": ("settlement", {"GET": "LHHHHHHA", "POST": "LHHHHHHA"}),
    "insurance:review-claim": ("claim_in_review", {"GET": "LFFFAFFF", "POST": "LFFFAFFF"}),
    "hospital:doctor-credential-scan": ("credential", {"GET": "LHHHHHAH", "POST": "LHHHHHAH"}),
    "hospital:doctor-detail": ("doctor", {"GET": "AAAAAAAA", "POST": "LAAAAAAA"}),
    "hospital:appointment-cancel": ("appointment", {"GET": "LMMMMMMM", "POST": "LHHHHAAA"}),
    "hospital:appointment-pay": ("appointment", {"GET": "LMMMMMMM", "POST": "LHHHHHHA"}),
    "hospital:consultation-detail": ("consultation", {"GET": "LHHHHHAA", "POST": "LHHHHHAA"}),
    "hospital:consultation-poll": ("consultation", {"GET": "LHHHHHAA", "POST": "LHHHHHAA"}),
    "hospital:consultation-post": ("consultation", {"GET": "LMMMMMMM", "POST": "LHHHHHAA"}),
    "hospital:consultation-attachment": (
        "consultation+message",
        {"GET": "LHHHHHAA", "POST": "LHHHHHAA"},
    ),
    "hospital:consultation-action": ("consultation", {"GET": "LMMMMMMM", "POST": "LHHHHHAA"}),
    "hospital:consultation-summary": ("consultation", {"GET": "LHHHHHAA", "POST": "LHHHHHAA"}),
    "hospital:consultation-summary-pdf": ("consultation", {"GET": "LHHHHHAA", "POST": "LHHHHHAA"}),
    "hospital:appointment-consultation": ("appointment", {"GET": "LMMMMMMM", "POST": "LHHHHHAA"}),
    "hospital:record": ("profile", {"GET": "LHHHHHAA", "POST": "LHHHHHAA"}),
    "hospital:record-add": ("profile+allergy_form", {"GET": "LMMMMMMM", "POST": "LHHHHHAA"}),
    "hospital:record-document-download": (
        "profile+document",
        {"GET": "LHHHHHAA", "POST": "LHHHHHAA"},
    ),
    "hospital:record-access-log": ("profile", {"GET": "LHHHHHHA", "POST": "LHHHHHHA"}),
    "hospital:record-device-pairing-code": ("profile", {"GET": "LMMMMMMM", "POST": "LHHHHHHA"}),
    "hospital:record-device-revoke": ("profile+device", {"GET": "LMMMMMMM", "POST": "LHHHHHHA"}),
    "hospital:prescription-new": ("consultation", {"GET": "LHHHHHAH", "POST": "LHHHHHAH"}),
    "hospital:prescription-live-check": ("consultation", {"GET": "LMMMMMMM", "POST": "LHHHHHAH"}),
    "hospital:prescription-detail": ("prescription", {"GET": "LHHAHHAA", "POST": "LHHAHHAA"}),
    "hospital:prescription-sign": ("draft", {"GET": "LMMMMMMM", "POST": "LHHHHHAH"}),
    "hospital:prescription-revise": ("prescription", {"GET": "LMMMMMMM", "POST": "LHHAHHAA"}),
    "hospital:prescription-pdf": ("prescription", {"GET": "LHHAHHAA", "POST": "LHHAHHAA"}),
    "hospital:review-detail": ("pending", {"GET": "LFFAFFFF", "POST": "LFFAFFFF"}),
    "hospital:review-approve": ("pending", {"GET": "LFFMFFFF", "POST": "LFFAFFFF"}),
    "hospital:review-reject": ("pending", {"GET": "LFFMFFFF", "POST": "LFFAFFFF"}),
    "hospital:review-release": ("pending", {"GET": "LFFMFFFF", "POST": "LFFAFFFF"}),
    "hospital:renewal-request": ("prescription", {"GET": "LMMMMMMM", "POST": "LHHHHHHA"}),
    "hospital:renewal-accept": ("renewal", {"GET": "LMMMMMMM", "POST": "LHHHHHAH"}),
    "hospital:renewal-decline": ("renewal", {"GET": "LMMMMMMM", "POST": "LHHHHHAA"}),
    "hospital:medication-schedule-times": ("schedule", {"GET": "LMMMMMMM", "POST": "LHHHHHHA"}),
    "hospital:medication-dose": ("dose+taken", {"GET": "LMMMMMMM", "POST": "LHHHHHHA"}),
    "hospital:doctor-patient-adherence": ("profile", {"GET": "LHHHHHAH", "POST": "LHHHHHAH"}),
    "pharmacy:product-detail": ("product", {"GET": "AAAAAAAA", "POST": "LAAAAAAA"}),
    "pharmacy:order-detail": ("order", {"GET": "LHHHHHHA", "POST": "LHHHHHHA"}),
    "pharmacy:order-pay": ("order", {"GET": "LMMMMMMM", "POST": "LHHHHHHA"}),
    "pharmacy:order-cancel": ("order", {"GET": "LMMMMMMM", "POST": "LHHHHHHA"}),
    "pharmacy:order-complaint": ("order", {"GET": "LHHHHHHA", "POST": "LHHHHHHA"}),
    "pharmacy:cart-from-prescription": ("prescription", {"GET": "LMMMMMMM", "POST": "LHHHHHHA"}),
    "pharmacy:dispense": ("order", {"GET": "LMMMMMMM", "POST": "LFFAFFFF"}),
    # Care services, decision support, notices (issues 12–14).
    "notifications_api:caregiver": ("caregiver", {"PATCH": "LHHHHHHA", "DELETE": "LHHHHHHA"}),
    "hospital_api:expert-request-detail": ("expert_request", {"GET": "LHHHHHHA"}),
    "hospital_api:expert-request-pay": ("expert_request", {"POST": "LHHHHHHA"}),
    "hospital_api:expert-request-cancel": ("expert_request", {"POST": "LHHHHHHA"}),
    "hospital_api:assistant-expert-request-confirm": ("expert_request", {"POST": "LHHHHHHH"}),
    "hospital_api:assistant-expert-request-decline": ("expert_request", {"POST": "LHHHHHHH"}),
    "hospital_api:consultation-mdt": ("consultation", {"POST": "LHHHHHAH"}),
    "hospital_api:mdt-detail": ("mdt", {"GET": "LHHHHHAA"}),
    "hospital_api:mdt-accept": ("mdt", {"POST": "LHHHHHHH"}),
    "hospital_api:mdt-decline": ("mdt", {"POST": "LHHHHHHH"}),
    "hospital_api:mdt-opinion": ("mdt", {"POST": "LHHHHHAA"}),
    "hospital_api:mdt-close": ("mdt", {"POST": "LHHHHHAH"}),
    "hospital_api:consultation-referral-create": ("consultation", {"POST": "LHHHHHAH"}),
    "hospital_api:referral-detail": ("referral", {"GET": "LHHHHAAA"}),
    "hospital_api:referral-letter": ("referral", {"GET": "LHHHHAAA"}),
    "hospital_api:referral-slots": ("referral", {"GET": "LHHHHAAA"}),
    "hospital_api:referral-book": ("referral", {"POST": "LHHHHAAA"}),
    "hospital_api:referral-outcome": ("referral", {"POST": "LHHHHAAA"}),
    "hospital_api:referral-cancel": ("referral", {"POST": "LHHHHHAH"}),
    "hospital_api:house-call-detail": ("house_call", {"GET": "LHHHHHHA"}),
    "hospital_api:house-call-pay": ("house_call", {"POST": "LHHHHHHA"}),
    "hospital_api:house-call-cancel": ("house_call", {"POST": "LHHHHAAA"}),
    "hospital_api:house-call-triage": ("house_call", {"POST": "LFFFFAFF"}),
    "hospital_api:house-call-dispatch": ("house_call", {"POST": "LFFFFAFF"}),
    "hospital_api:house-call-accept": ("house_call", {"POST": "LFHFFFAF"}),
    "hospital_api:house-call-on-the-way": ("house_call", {"POST": "LFHFFFAF"}),
    "hospital_api:house-call-arrived": ("house_call", {"POST": "LFHFFFAF"}),
    "hospital_api:house-call-complete": ("house_call", {"POST": "LFHFFFAF"}),
    "hospital_api:patient-device-test-schedules": (
        "profile",
        {"GET": "LHHHHHAA", "POST": "LHHHHHAA"},
    ),
    "hospital_api:device-test-schedule-stop": ("test_schedule", {"POST": "LHHHHHAH"}),
    "hospital_api:finding-intervention": ("finding_prescription+finding", {"POST": "LFFAFFFF"}),
    "pharmacy_api:medicine-box": ("box", {"GET": "AAAAAAAA"}),
    "pharmacy_api:medicine-box-order-create": ("box", {"POST": "LAAAAAAA"}),
    "hospital:expert-request-new": ("doctor", {"GET": "LMMMMMMM", "POST": "LAAAAAAA"}),
    "hospital:expert-request-pay": ("expert_request", {"GET": "LMMMMMMM", "POST": "LHHHHHHA"}),
    "hospital:expert-request-cancel": ("expert_request", {"GET": "LMMMMMMM", "POST": "LHHHHHHA"}),
    "hospital:assistant-confirm": ("expert_request", {"GET": "LMMMMMMM", "POST": "LHHHHHHH"}),
    "hospital:assistant-decline": ("expert_request", {"GET": "LMMMMMMM", "POST": "LHHHHHHH"}),
    "hospital:mdt-invite": ("consultation", {"GET": "LHHHHHAH", "POST": "LHHHHHAH"}),
    "hospital:mdt-detail": ("mdt", {"GET": "LHHHHHAA", "POST": "LHHHHHAA"}),
    "hospital:mdt-action": ("mdt", {"GET": "LMMMMMMM", "POST": "LHHHHHAA"}),
    "hospital:referral-new": ("consultation", {"GET": "LHHHHHAH", "POST": "LHHHHHAH"}),
    "hospital:referral-detail": ("referral", {"GET": "LHHHHAAA", "POST": "LHHHHAAA"}),
    "hospital:referral-action": ("referral", {"GET": "LMMMMMMM", "POST": "LHHHHAAA"}),
    "hospital:referral-letter-pdf": ("referral", {"GET": "LHHHHAAA", "POST": "LHHHHAAA"}),
    "hospital:house-call-detail": ("house_call", {"GET": "LHHHHHHA", "POST": "LHHHHHHA"}),
    "hospital:house-call-pay": ("house_call", {"GET": "LMMMMMMM", "POST": "LHHHHHHA"}),
    "hospital:house-call-cancel": ("house_call", {"GET": "LMMMMMMM", "POST": "LHHHHAAA"}),
    "hospital:doctor-house-call-action": ("house_call", {"GET": "LMMMMMMM", "POST": "LFHFFFAF"}),
    "hospital:record-test-schedule-set": ("profile", {"GET": "LMMMMMMM", "POST": "LHHHHHAH"}),
    "hospital:record-test-schedule-stop": (
        "profile+test_schedule",
        {"GET": "LMMMMMMM", "POST": "LHHHHHAH"},
    ),
    "hospital:review-intervention": (
        "finding_prescription+finding",
        {"GET": "LFFMFFFF", "POST": "LFFAFFFF"},
    ),
    "pharmacy:medicine-box": ("box", {"GET": "AAAAAAAA", "POST": "LAAAAAAA"}),
    "notifications_api:wechat-subscription": ("wechat_subscription", {"DELETE": "LHHHHHHA"}),
}


def test_every_route_naming_an_object_is_in_the_matrix():
    routes = {route.name for route in object_routes()}
    assert sorted(routes - EXPECTED.keys()) == [], "routes with no row in the access matrix"
    assert sorted(EXPECTED.keys() - routes) == [], "rows for routes the site no longer has"


def test_every_role_gets_what_the_matrix_says(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # notices are sent once committed
        call_command("seed_demo", stdout=io.StringIO())
    objects = demo_objects()
    clients = signed_in_clients()
    assert len(ROLES) == 8

    seen: dict[str, dict[str, str]] = {}
    # What removes an object is asked last, after every other route has been asked about it.
    for removing in (False, True):
        for route in object_routes():
            methods = tuple(m for m in route.methods if (m == "DELETE") == removing)
            if not methods:
                continue
            kind, _ = EXPECTED[route.name]
            kwargs = dict(zip(route.parameters, (objects[k] for k in kind.split("+")), strict=True))
            seen.setdefault(route.name, {}).update(
                observe(replace(route, methods=methods), kwargs, clients)
            )

    expected = {name: answers for name, (_, answers) in EXPECTED.items()}
    differences = {
        name: {"expected": expected[name], "seen": answers}
        for name, answers in seen.items()
        if answers != expected[name]
    }
    assert differences == {}, pformat(differences, width=100)
