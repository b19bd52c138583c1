"""Approving and rejecting: who may, leases, idempotency, notifications, audit, record access."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import Role
from audit.models import AccessLogEntry
from core.exceptions import Conflict, DomainError, InvalidTransition, NotAllowed, NotFound
from hospital.prescriptions.models import Prescription, PrescriptionEvent
from hospital.prescriptions.services.review import (
    prescription_approve,
    prescription_reject,
    review_queue_next,
)
from hospital.records.access import record_access_reason, record_access_resolve
from hospital.rules import figure
from notifications.models import Notification
from tests.accounts.factories import PatientUserFactory, PharmacistUserFactory
from tests.hospital.consultation_factories import api_client_for
from tests.hospital.review_factories import FindingFactory, PrescriptionFactory

pytestmark = pytest.mark.django_db

S = Prescription.Status


def test_approval_takes_effect_and_tells_doctor_and_patient_once(
    django_capture_on_commit_callbacks,
):
    rx = PrescriptionFactory()
    pharmacist = PharmacistUserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        prescription_approve(pharmacist=pharmacist, prescription_id=rx.pk)
    with django_capture_on_commit_callbacks(execute=True) as again:
        prescription_approve(pharmacist=pharmacist, prescription_id=rx.pk)
    assert again == []
    rx.refresh_from_db()
    assert rx.status == S.APPROVED
    assert rx.reviewed_by == pharmacist
    assert rx.reviewed_at is not None
    assert rx.review_lease_holder is None
    assert PrescriptionEvent.objects.filter(prescription=rx, kind="approved").count() == 1
    notified = Notification.objects.filter(kind="hospital.prescription_reviewed")
    assert {n.recipient_id for n in notified} == {rx.doctor.user_id, rx.patient.account_id}
    assert notified.count() == 2
    assert AccessLogEntry.objects.filter(
        object_type="prescription", object_id=str(rx.pk), action="update", detail="approved"
    ).exists()


def test_rejection_needs_a_structured_reason_and_a_comment(django_capture_on_commit_callbacks):
    rx = PrescriptionFactory()
    pharmacist = PharmacistUserFactory()
    with pytest.raises(DomainError) as exc:
        prescription_reject(pharmacist=pharmacist, prescription_id=rx.pk, reason="", comment="x")
    assert exc.value.field == "reason"
    with pytest.raises(DomainError) as exc:
        prescription_reject(
            pharmacist=pharmacist, prescription_id=rx.pk, reason="dose", comment="  "
        )
    assert exc.value.field == "comment"
    rx.refresh_from_db()
    assert rx.status == S.PENDING_REVIEW
    with django_capture_on_commit_callbacks(execute=True):
        prescription_reject(
            pharmacist=pharmacist,
            prescription_id=rx.pk,
            reason="interaction",
            comment="辛伐他汀与氨氯地平合用请减量至20 mg",
        )
        prescription_reject(
            pharmacist=pharmacist, prescription_id=rx.pk, reason="interaction", comment="again"
        )
    rx.refresh_from_db()
    assert rx.status == S.REJECTED
    assert rx.review_decision_reason == "interaction"
    assert rx.review_comment.startswith("辛伐他汀")
    assert PrescriptionEvent.objects.filter(prescription=rx, kind="rejected").count() == 1
    doctor_note = Notification.objects.get(recipient=rx.doctor.user)
    assert "辛伐他汀" in doctor_note.body


def test_a_decided_prescription_cannot_be_decided_the_other_way():
    approved = PrescriptionFactory()
    rejected = PrescriptionFactory()
    pharmacist = PharmacistUserFactory()
    prescription_approve(pharmacist=pharmacist, prescription_id=approved.pk)
    prescription_reject(
        pharmacist=pharmacist, prescription_id=rejected.pk, reason="dose", comment="too much"
    )
    with pytest.raises(InvalidTransition):
        prescription_reject(
            pharmacist=pharmacist, prescription_id=approved.pk, reason="dose", comment="x"
        )
    with pytest.raises(InvalidTransition):
        prescription_approve(pharmacist=pharmacist, prescription_id=rejected.pk)
    draft = PrescriptionFactory(status=S.DRAFT)
    with pytest.raises(InvalidTransition):
        prescription_approve(pharmacist=pharmacist, prescription_id=draft.pk)


def test_a_prescriber_who_is_also_a_pharmacist_cannot_review_their_own():
    rx = PrescriptionFactory()
    prescriber = rx.doctor.user
    prescriber.groups.add(Group.objects.get_or_create(name=Role.PHARMACIST)[0])
    prescriber = type(prescriber).objects.get(pk=prescriber.pk)
    with pytest.raises(NotAllowed) as exc:
        prescription_approve(pharmacist=prescriber, prescription_id=rx.pk)
    assert exc.value.code == "own_prescription"
    rx.refresh_from_db()
    assert rx.status == S.PENDING_REVIEW


def test_only_the_lease_holder_decides_while_the_lease_lives():
    rx = PrescriptionFactory()
    holder, other = PharmacistUserFactory(), PharmacistUserFactory()
    review_queue_next(pharmacist=holder)
    with pytest.raises(Conflict) as exc:
        prescription_approve(pharmacist=other, prescription_id=rx.pk)
    assert exc.value.code == "review_leased"
    later = timezone.now() + figure("PRESCRIPTION_REVIEW_LEASE") + dt.timedelta(seconds=1)
    prescription_approve(pharmacist=other, prescription_id=rx.pk, now=later)
    rx.refresh_from_db()
    assert rx.reviewed_by == other


def test_an_unleased_prescription_can_be_decided_directly():
    rx = PrescriptionFactory()
    prescription_approve(pharmacist=PharmacistUserFactory(), prescription_id=rx.pk)
    rx.refresh_from_db()
    assert rx.status == S.APPROVED


def test_a_prescription_past_its_validity_cannot_be_approved():
    today = timezone.localdate()
    rx = PrescriptionFactory(
        issued_on=today - dt.timedelta(days=3), valid_until=today - dt.timedelta(days=1)
    )
    with pytest.raises(Conflict) as exc:
        prescription_approve(pharmacist=PharmacistUserFactory(), prescription_id=rx.pk)
    assert exc.value.code == "prescription_lapsed"


def test_unknown_prescription_is_not_found():
    with pytest.raises(NotFound):
        prescription_approve(pharmacist=PharmacistUserFactory(), prescription_id=999_999)


# --- record access through a review ------------------------------------------------------------


def test_the_lease_holder_may_read_the_patients_record_and_nobody_else():
    rx = PrescriptionFactory()
    holder, other = PharmacistUserFactory(), PharmacistUserFactory()
    assert record_access_reason(user=holder, patient=rx.patient) is None
    review_queue_next(pharmacist=holder)
    assert record_access_reason(user=holder, patient=rx.patient) == "reviewing_pharmacist"
    assert record_access_reason(user=other, patient=rx.patient) is None
    # Reading is allowed; writing (allowed_reasons of the writers) is not.
    with pytest.raises(NotFound):
        record_access_resolve(
            user=holder,
            patient_id=rx.patient_id,
            action="create",
            object_type="allergy",
            allowed_reasons=frozenset({"account", "treating_doctor"}),
        )
    prescription_approve(pharmacist=holder, prescription_id=rx.pk)
    assert record_access_reason(user=holder, patient=rx.patient) is None


# --- API ---------------------------------------------------------------------------------------


def test_api_approve_and_reject():
    approve_me, reject_me = PrescriptionFactory(), PrescriptionFactory()
    FindingFactory(prescription=approve_me)
    client = api_client_for(PharmacistUserFactory())
    response = client.post(
        f"/api/v1/prescriptions/{approve_me.pk}/approve/",
        {"reason": "interaction", "comment": "剂量已限制，可以调配"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved"
    assert body["review"]["reason"] == "interaction"
    assert body["findings"][0]["override_reason"]
    assert client.post(f"/api/v1/prescriptions/{approve_me.pk}/approve/").status_code == 200

    response = client.post(
        f"/api/v1/prescriptions/{reject_me.pk}/reject/",
        {"reason": "dose", "comment": "每日剂量超过上限"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected"
    conflict = client.post(f"/api/v1/prescriptions/{reject_me.pk}/approve/")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "invalid_transition"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"reason": "dose"}, "comment"),
        ({"comment": "x"}, "reason"),
        ({"reason": "vibes", "comment": "x"}, "reason"),
        ({"reason": "dose", "comment": ""}, "comment"),
    ],
)
def test_api_reject_with_bad_input_is_400_with_field_errors(payload, field):
    rx = PrescriptionFactory()
    client = api_client_for(PharmacistUserFactory())
    response = client.post(f"/api/v1/prescriptions/{rx.pk}/reject/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    rx.refresh_from_db()
    assert rx.status == S.PENDING_REVIEW


def test_api_malformed_json_is_400_and_unknown_is_404():
    client = api_client_for(PharmacistUserFactory())
    rx = PrescriptionFactory()
    response = client.post(
        f"/api/v1/prescriptions/{rx.pk}/approve/", "{oops", content_type="application/json"
    )
    assert response.status_code == 400
    assert client.post("/api/v1/prescriptions/999999/approve/").status_code == 404


def test_api_review_is_for_pharmacists_only():
    rx = PrescriptionFactory()
    for user in (PatientUserFactory(), rx.patient.account, rx.doctor.user):
        client = api_client_for(user)
        assert client.post(f"/api/v1/prescriptions/{rx.pk}/approve/").status_code == 403
    rx.refresh_from_db()
    assert rx.status == S.PENDING_REVIEW
