"""Decision support stored with the draft, fail-closed signing, the second factor, overrides,
the tamper-evident signature, extension and revision."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.roles import Role
from core.exceptions import NotFound
from hospital.consultations.models import ConsultationMessage
from hospital.prescriptions.models import Prescription, PrescriptionEvent, PrescriptionItem
from hospital.prescriptions.services import signing as services
from hospital.records.models import ClinicalProfile
from notifications.models import Notification
from tests.accounts.factories import PatientProfileFactory, activate_totp, totp_code
from tests.hospital.consultation_factories import api_client_for
from tests.hospital.prescription_factories import (
    PrescribingConsultationFactory,
    draft,
    item,
    load_formulary,
    sign,
    signed,
)
from tests.hospital.record_factories import AllergyFactory, MedicationFactory

pytestmark = pytest.mark.django_db

ENALAPRIL = item("enalapril-10mg-tab", dose="10", quantity_packs=1)
SPIRONOLACTONE = item("spironolactone-20mg-tab", dose="20", quantity_packs=1)


@pytest.fixture(autouse=True)
def _formulary():
    load_formulary()


def _kinds(prescription):
    return {(f.kind, f.severity) for f in prescription.findings.all()}


# --- findings stored with the draft -----------------------------------------------------------


def test_interaction_is_stored_and_ranks_the_prescription():
    rx = draft(None, ENALAPRIL, SPIRONOLACTONE)
    assert ("interaction", "major") in _kinds(rx)
    rx.refresh_from_db()
    assert rx.risk_rank == 3
    assert rx.knowledge_version


def test_interaction_with_a_recorded_medicine():
    consultation = PrescribingConsultationFactory()
    MedicationFactory(
        patient=consultation.patient,
        name="螺内酯",
        drug_code="spironolactone-20mg-tab",
        atc_code="C03DA01",
        ingredients=["spironolactone"],
    )
    rx = draft(consultation, ENALAPRIL)
    assert ("interaction", "major") in _kinds(rx)


def test_interaction_with_another_pending_prescription_but_not_with_itself():
    consultation = PrescribingConsultationFactory()
    first = signed(consultation, SPIRONOLACTONE)
    assert first.status == Prescription.Status.PENDING_REVIEW
    assert not any(f.kind == "interaction" for f in first.findings.all())
    second = draft(consultation, ENALAPRIL)
    assert ("interaction", "major") in _kinds(second)


def test_allergy_is_stored():
    consultation = PrescribingConsultationFactory(diagnoses=["J02.9"])
    AllergyFactory(patient=consultation.patient)  # penicillin
    rx = draft(
        consultation,
        item("amoxicillin-500mg-cap", dose="500", frequency="TID", duration_days=5),
        diagnosis_codes=["J02.9"],
    )
    assert any(kind == "allergy" for kind, _ in _kinds(rx))


def test_duplicate_therapy_is_stored():
    rx = draft(None, ENALAPRIL, item("benazepril-10mg-tab", dose="10"))
    assert any(kind == "duplicate_therapy" for kind, _ in _kinds(rx))


def test_dose_over_maximum_is_stored():
    rx = draft(None, item(dose="15", frequency="QD", quantity_packs=1))
    assert any(kind == "dose_over_maximum" for kind, _ in _kinds(rx))


def test_pregnancy_is_stored():
    patient = PatientProfileFactory(sex="female", birth_date=dt.date(1995, 1, 1))
    ClinicalProfile.objects.update_or_create(
        patient=patient, defaults={"pregnancy_status": "pregnant"}
    )
    rx = draft(PrescribingConsultationFactory(patient=patient), ENALAPRIL)
    assert ("pregnancy", "contraindicated") in _kinds(rx)


def test_lactation_is_stored():
    patient = PatientProfileFactory(sex="female", birth_date=dt.date(1995, 1, 1))
    ClinicalProfile.objects.update_or_create(
        patient=patient,
        defaults={"pregnancy_status": "not_pregnant", "lactation_status": "lactating"},
    )
    rx = draft(
        PrescribingConsultationFactory(patient=patient), item("glimepiride-2mg-tab", dose="2")
    )
    assert any(kind == "lactation" for kind, _ in _kinds(rx))


def test_elderly_caution_is_stored():
    patient = PatientProfileFactory(birth_date=dt.date(1945, 1, 1))
    consultation = PrescribingConsultationFactory(patient=patient, diagnoses=["E11.9"])
    rx = draft(consultation, item("glimepiride-2mg-tab", dose="2"), diagnosis_codes=["E11.9"])
    assert any(kind == "elderly" for kind, _ in _kinds(rx))


def test_paediatric_age_is_stored():
    patient = PatientProfileFactory(birth_date=timezone.localdate() - dt.timedelta(days=365 * 10))
    consultation = PrescribingConsultationFactory(patient=patient, diagnoses=["E11.9"])
    rx = draft(consultation, item("glimepiride-2mg-tab", dose="2"), diagnosis_codes=["E11.9"])
    assert any(kind == "paediatric_age" for kind, _ in _kinds(rx))


def test_check_endpoint_returns_the_findings():
    rx = draft(None, ENALAPRIL, SPIRONOLACTONE)
    response = api_client_for(rx.doctor.user).post(f"/api/v1/prescriptions/{rx.pk}/check/")
    assert response.status_code == 200
    body = response.json()
    assert body["available"] is True
    assert body["risk_rank"] == 3
    assert {f["kind"] for f in body["findings"]} >= {"interaction"}


# --- signing ----------------------------------------------------------------------------------


def test_signing_submits_for_review_posts_a_message_and_notifies(
    django_capture_on_commit_callbacks,
):
    rx = draft(None, item())
    with django_capture_on_commit_callbacks(execute=True):
        rx = sign(rx)
    assert rx.status == Prescription.Status.PENDING_REVIEW
    assert rx.signed_at
    assert rx.submitted_at
    assert rx.issued_on == rx.valid_until == timezone.localdate()
    assert len(rx.signature) == 64
    assert ConsultationMessage.objects.filter(
        consultation=rx.consultation, kind="system", body__contains=f"#{rx.pk}"
    ).exists()
    assert (
        Notification.objects.filter(
            recipient=rx.patient.account, kind="hospital.prescription_issued"
        ).count()
        == 1
    )
    assert PrescriptionEvent.objects.filter(prescription=rx, kind="signed").exists()


def test_contraindicated_finding_refuses_signing_with_the_findings():
    patient = PatientProfileFactory(sex="female", birth_date=dt.date(1995, 1, 1))
    ClinicalProfile.objects.update_or_create(
        patient=patient, defaults={"pregnancy_status": "pregnant"}
    )
    rx = draft(PrescribingConsultationFactory(patient=patient), ENALAPRIL)
    activate_totp(rx.doctor.user)
    response = api_client_for(rx.doctor.user).post(
        f"/api/v1/prescriptions/{rx.pk}/sign/", {"totp_code": totp_code()}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "contraindicated"
    assert response.json()["findings"][0]["severity"] == "contraindicated"
    rx.refresh_from_db()
    assert rx.status == Prescription.Status.DRAFT
    assert rx.signature == ""


def test_major_finding_needs_an_override_reason():
    rx = draft(None, ENALAPRIL, SPIRONOLACTONE)
    client = api_client_for(rx.doctor.user)
    signed_at = timezone.now()
    with time_machine.travel(signed_at, tick=False):
        code = totp_code()
        response = client.post(
            f"/api/v1/prescriptions/{rx.pk}/sign/", {"totp_code": code}, format="json"
        )
        assert response.status_code == 409
        assert response.json()["code"] == "override_reason_required"
        reasons = {f["rule_id"]: "心衰，每周查血钾" for f in response.json()["findings"]}

        # The refused attempt left the code usable: the doctor retries with it at once.
        response = client.post(
            f"/api/v1/prescriptions/{rx.pk}/sign/",
            {"totp_code": code, "override_reasons": reasons},
            format="json",
        )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "pending_review"
    assert all(f["override_reason"] for f in body["findings"] if f["severity"] == "major")


def test_major_finding_signed_with_reasons_through_the_service():
    rx = draft(None, ENALAPRIL, SPIRONOLACTONE)
    reasons = {f.rule_id: "心衰，每周查血钾" for f in rx.findings.filter(severity="major")}
    rx = sign(rx, override_reasons=reasons)
    assert rx.status == Prescription.Status.PENDING_REVIEW
    assert rx.risk_rank == 3
    event = rx.events.get(kind="signed")
    assert set(event.detail["overrides"]) == set(reasons)


def test_signing_fails_closed_without_knowledge(settings, tmp_path):
    rx = draft(None, item())
    settings.CLINICAL_KNOWLEDGE_DIR = str(tmp_path)
    activate_totp(rx.doctor.user)
    response = api_client_for(rx.doctor.user).post(
        f"/api/v1/prescriptions/{rx.pk}/sign/", {"totp_code": totp_code()}, format="json"
    )
    assert response.status_code == 503
    assert response.json()["code"] == "decision_support_unavailable"
    rx.refresh_from_db()
    assert rx.status == Prescription.Status.DRAFT
    assert rx.signature == ""


def test_a_draft_can_be_saved_without_knowledge_but_not_checked(settings, tmp_path):
    settings.CLINICAL_KNOWLEDGE_DIR = str(tmp_path)
    rx = draft(None, item())
    assert rx.findings.count() == 0
    response = api_client_for(rx.doctor.user).post(f"/api/v1/prescriptions/{rx.pk}/check/")
    assert response.status_code == 503


def test_signing_needs_a_second_factor():
    rx = draft(None, item())
    client = api_client_for(rx.doctor.user)
    response = client.post(f"/api/v1/prescriptions/{rx.pk}/sign/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
    response = client.post(
        f"/api/v1/prescriptions/{rx.pk}/sign/", {"totp_code": "000000"}, format="json"
    )
    assert response.status_code == 403
    assert "totp_code" in response.json()["errors"]
    rx.refresh_from_db()
    assert rx.status == Prescription.Status.DRAFT


def test_a_session_second_factor_counts_for_five_minutes_only():
    rx = draft(None, item())
    user = rx.doctor.user
    with pytest.raises(services.MfaRequired):
        services.prescription_sign(
            doctor_user=user,
            prescription_id=rx.pk,
            mfa_verified_at=timezone.now() - dt.timedelta(minutes=6),
        )
    rx = services.prescription_sign(
        doctor_user=user,
        prescription_id=rx.pk,
        mfa_verified_at=timezone.now() - dt.timedelta(minutes=4),
    )
    assert rx.status == Prescription.Status.PENDING_REVIEW


def test_session_reauthentication_is_read_from_allauth(client):
    rx = draft(None, item())
    user = rx.doctor.user
    activate_totp(user)
    client.force_login(user)
    session = client.session
    session["account_authentication_methods"] = [
        {
            "method": "mfa",
            "at": (timezone.now() - dt.timedelta(minutes=2)).timestamp(),
            "type": "totp",
        }
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    response = client.post(
        f"/api/v1/prescriptions/{rx.pk}/sign/", {}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending_review"


def test_a_stale_session_second_factor_is_not_enough(client):
    rx = draft(None, item())
    user = rx.doctor.user
    activate_totp(user)
    client.force_login(user)
    session = client.session
    stale = (timezone.now() - dt.timedelta(minutes=10)).timestamp()
    session["account_authentication_methods"] = [{"method": "mfa", "at": stale, "type": "totp"}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    response = client.post(
        f"/api/v1/prescriptions/{rx.pk}/sign/", {}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_only_the_treating_doctor_signs():
    rx = draft(None, item())
    other = PrescribingConsultationFactory().doctor.user
    activate_totp(other)
    with pytest.raises(NotFound):
        services.prescription_sign(doctor_user=other, prescription_id=rx.pk, totp_code=totp_code())
    patient_client = api_client_for(rx.patient.account)
    assert patient_client.post(f"/api/v1/prescriptions/{rx.pk}/sign/", {}).status_code == 404


def test_a_pharmacist_cannot_sign():
    rx = draft(None, item())
    pharmacist = PrescribingConsultationFactory().doctor.user
    pharmacist.groups.clear()
    from django.contrib.auth.models import Group

    pharmacist.groups.add(Group.objects.get_or_create(name=Role.PHARMACIST)[0])
    response = api_client_for(pharmacist).post(
        f"/api/v1/prescriptions/{rx.pk}/sign/", {"totp_code": totp_code()}, format="json"
    )
    assert response.status_code == 404


def test_signing_twice_does_nothing_twice(django_capture_on_commit_callbacks):
    rx = signed(None, item())
    again = services.prescription_sign(doctor_user=rx.doctor.user, prescription_id=rx.pk)
    assert again.signature == rx.signature
    assert rx.events.filter(kind="signed").count() == 1


# --- signature --------------------------------------------------------------------------------


def test_verify_is_valid_after_signing_and_detects_a_changed_item():
    rx = signed(None, item())
    client = api_client_for(rx.doctor.user)
    assert client.get(f"/api/v1/prescriptions/{rx.pk}/verify/").json()["valid"] is True

    PrescriptionItem.objects.filter(prescription=rx).update(quantity_packs=3)

    body = client.get(f"/api/v1/prescriptions/{rx.pk}/verify/").json()
    assert body["signed"] is True
    assert body["valid"] is False


def test_verify_detects_a_changed_prescription_row():
    rx = signed(None, item())
    Prescription.objects.filter(pk=rx.pk).update(diagnosis_codes=["E11.9"])
    body = api_client_for(rx.patient.account).get(f"/api/v1/prescriptions/{rx.pk}/verify/").json()
    assert body["valid"] is False


def test_verify_command_exits_non_zero_on_a_tampered_prescription():
    good = signed(None, item())
    bad = signed(None, item())
    out = io.StringIO()
    call_command("prescription_verify", stdout=out)
    assert "2 prescription(s) verified" in out.getvalue()

    PrescriptionItem.objects.filter(prescription=bad).update(instructions="每日三次")
    with pytest.raises(CommandError, match=f"#{bad.pk}"):
        call_command("prescription_verify", stderr=io.StringIO())
    call_command("prescription_verify", id=good.pk, stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("prescription_verify", id=bad.pk, stderr=io.StringIO())


def test_signature_key_is_per_doctor(settings):
    rx = signed(None, item())
    Prescription.objects.filter(pk=rx.pk).update(doctor=PrescribingConsultationFactory().doctor)
    rx.refresh_from_db()
    from hospital.prescriptions.signature import prescription_signature_check

    assert prescription_signature_check(rx).valid is False


# --- extension and revision -------------------------------------------------------------------


def test_extend_up_to_three_days_from_issue():
    rx = signed(None, item())
    client = api_client_for(rx.doctor.user)
    too_late = rx.issued_on + dt.timedelta(days=3)
    response = client.post(
        f"/api/v1/prescriptions/{rx.pk}/extend/",
        {"valid_until": too_late.isoformat(), "totp_code": totp_code()},
        format="json",
    )
    assert response.status_code == 400
    assert "valid_until" in response.json()["errors"]
    rx = services.prescription_extend(
        doctor_user=rx.doctor.user,
        prescription_id=rx.pk,
        valid_until=rx.issued_on + dt.timedelta(days=2),
        mfa_verified_at=timezone.now(),
    )
    assert rx.valid_until == rx.issued_on + dt.timedelta(days=2)
    assert client.get(f"/api/v1/prescriptions/{rx.pk}/verify/").json()["valid"] is True


def test_a_draft_cannot_be_extended():
    rx = draft(None, item())
    response = api_client_for(rx.doctor.user).post(
        f"/api/v1/prescriptions/{rx.pk}/extend/",
        {"valid_until": timezone.localdate().isoformat()},
        format="json",
    )
    assert response.status_code == 409


def _reject(rx):
    Prescription.objects.filter(pk=rx.pk).update(
        status=Prescription.Status.REJECTED,
        review_decision_reason="dose",
        review_comment="剂量偏大",
        reviewed_at=timezone.now(),
    )


def test_revision_of_a_rejected_prescription():
    rx = signed(None, item())
    _reject(rx)
    client = api_client_for(rx.doctor.user)
    response = client.post(f"/api/v1/prescriptions/{rx.pk}/revise/")
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 2
    assert body["revision_of"] == rx.pk
    assert body["status"] == "draft"
    assert body["items"][0]["drug_code"] == "amlodipine-5mg-tab"
    rx.refresh_from_db()
    assert rx.status == Prescription.Status.REJECTED
    again = client.post(f"/api/v1/prescriptions/{rx.pk}/revise/")
    assert again.json()["id"] == body["id"]

    versions = client.get(f"/api/v1/prescriptions/{body['id']}/versions/").json()
    assert [(v["version"], v["status"]) for v in versions] == [(1, "rejected"), (2, "draft")]

    revision = sign(Prescription.objects.get(pk=body["id"]))
    assert revision.status == Prescription.Status.PENDING_REVIEW


def test_only_a_rejected_prescription_can_be_revised():
    rx = signed(None, item())
    response = api_client_for(rx.doctor.user).post(f"/api/v1/prescriptions/{rx.pk}/revise/")
    assert response.status_code == 409


def test_a_rejected_prescription_can_be_revised_after_the_consultation_closed():
    rx = signed(None, item())
    _reject(rx)
    rx.consultation.status = "closed"
    rx.consultation.closed_at = timezone.now()
    rx.consultation.save(update_fields=["status", "closed_at"])
    revision = services.prescription_revise(doctor_user=rx.doctor.user, prescription_id=rx.pk)
    assert revision.version == 2
