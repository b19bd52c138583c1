"""Pages: the pharmacist's queue and review page, the patient's prescriptions, the doctor's
renewal queue, and the admin of renewal requests."""

from __future__ import annotations

import pytest

from audit.models import AccessLogEntry
from hospital.prescriptions.models import Prescription, RenewalRequest
from hospital.records.models import Allergy
from tests.accounts.factories import (
    OperatorUserFactory,
    PatientUserFactory,
    PharmacistUserFactory,
    activate_totp,
)
from tests.hospital.review_factories import (
    ApprovedPrescriptionFactory,
    FindingFactory,
    PrescriptionFactory,
    RenewalRequestFactory,
)

pytestmark = pytest.mark.django_db


def _login(client, user):
    if user.is_clinical_or_staff:
        activate_totp(user)
    client.force_login(user)
    return client


def test_pharmacist_takes_the_next_sees_findings_and_record_and_approves(client):
    rx = PrescriptionFactory(risk_rank=3)
    FindingFactory(prescription=rx)
    Allergy.objects.create(
        patient=rx.patient,
        substance="青霉素",
        category="drug",
        severity="severe",
        recorded_by=rx.patient.account,
    )
    pharmacist = PharmacistUserFactory()
    _login(client, pharmacist)
    queue = client.get("/pharmacist/review/")
    assert queue.status_code == 200
    assert rx.patient.real_name in queue.content.decode()

    taken = client.post("/pharmacist/review/next/")
    assert taken.status_code == 302
    assert taken["Location"] == f"/pharmacist/review/{rx.pk}/"
    page = client.get(taken["Location"]).content.decode()
    assert "已限制辛伐他汀剂量为20 mg" in page  # the prescriber's override reason
    assert "青霉素" in page
    assert AccessLogEntry.objects.filter(
        actor=pharmacist,
        patient_id=rx.patient_id,
        object_type="record",
        detail="reviewing_pharmacist",
    ).exists()

    decided = client.post(
        f"/pharmacist/review/{rx.pk}/approve/", {"approve-reason": "", "approve-comment": ""}
    )
    assert decided.status_code == 302
    rx.refresh_from_db()
    assert rx.status == Prescription.Status.APPROVED


def test_review_page_without_a_lease_shows_no_record(client):
    rx = ApprovedPrescriptionFactory()
    pharmacist = PharmacistUserFactory()
    _login(client, pharmacist)
    page = client.get(f"/pharmacist/review/{rx.pk}/")
    assert page.status_code == 200
    assert not AccessLogEntry.objects.filter(actor=pharmacist, object_type="record").exists()
    assert client.get("/pharmacist/review/999999/").status_code == 404


def test_reject_form_needs_a_comment(client):
    rx = PrescriptionFactory()
    _login(client, PharmacistUserFactory())
    client.post(f"/pharmacist/review/{rx.pk}/reject/", {"reject-reason": "dose"})
    rx.refresh_from_db()
    assert rx.status == Prescription.Status.PENDING_REVIEW


def test_review_pages_are_for_pharmacists(client):
    rx = PrescriptionFactory()
    _login(client, PatientUserFactory())
    assert client.get("/pharmacist/review/").status_code == 403
    assert client.get(f"/pharmacist/review/{rx.pk}/").status_code == 403
    assert client.post(f"/pharmacist/review/{rx.pk}/approve/").status_code == 403


def test_my_prescriptions_shows_status_validity_remaining_and_renewal(
    client, django_assert_max_num_queries
):
    rx = ApprovedPrescriptionFactory(item__quantity_packs=3)
    item = rx.items.get()
    item.purchased_packs = 1
    item.save(update_fields=["purchased_packs"])
    PrescriptionFactory(
        consultation__appointment__patient=rx.patient,
        status=Prescription.Status.DRAFT,
        signature="",
    )
    ApprovedPrescriptionFactory()  # someone else's
    _login(client, rx.patient.account)
    with django_assert_max_num_queries(12):
        page = client.get("/prescriptions/mine/")
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count('data-testid="prescription"') == 1
    assert 'data-testid="remaining">2<' in body
    assert str(rx.valid_until) in body
    assert 'data-testid="request-renewal"' in body

    assert client.post(f"/prescriptions/{rx.pk}/renewal/", {"note": "快吃完了"}).status_code == 302
    assert RenewalRequest.objects.filter(prescription=rx, status="pending").count() == 1
    assert 'data-testid="renewal-pending"' in client.get("/prescriptions/mine/").content.decode()
    other = ApprovedPrescriptionFactory()
    assert client.post(f"/prescriptions/{other.pk}/renewal/").status_code == 404


def test_doctor_renewal_queue_accept_and_decline(client):
    accept_me = RenewalRequestFactory()
    doctor_user = accept_me.prescription.doctor.user
    decline_me = RenewalRequestFactory(
        prescription__consultation__appointment__doctor=accept_me.prescription.doctor
    )
    _login(client, doctor_user)
    page = client.get("/doctor/renewals/")
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="renewal"') == 2
    accepted = client.post(f"/doctor/renewals/{accept_me.pk}/accept/")
    accept_me.refresh_from_db()
    assert accepted["Location"] == f"/consultations/{accept_me.follow_up_consultation_id}/"
    client.post(f"/doctor/renewals/{decline_me.pk}/decline/", {"reason": "请线下复诊"})
    decline_me.refresh_from_db()
    assert decline_me.status == RenewalRequest.Status.DECLINED


def test_admin_lists_renewal_requests_read_only(client):
    renewal = RenewalRequestFactory()
    operator = OperatorUserFactory(is_superuser=True)
    _login(client, operator)
    listing = client.get("/admin/hospital/renewalrequest/?q=" + renewal.patient.real_name)
    assert listing.status_code == 200
    assert renewal.patient.real_name in listing.content.decode()
    assert client.get(f"/admin/hospital/renewalrequest/{renewal.pk}/change/").status_code == 200
    assert client.get(f"/admin/hospital/renewalrequest/{renewal.pk}/delete/").status_code == 403
