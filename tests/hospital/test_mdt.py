"""Inter-doctor consultation (会诊): who is invited, when their access to the record starts and
ends, what is logged for the patient, and that only the treating doctor prescribes."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from audit.models import AccessLogEntry
from core.exceptions import Conflict, DomainError, NotFound
from hospital.consultations.models import MdtConsultation, MdtInvitation
from hospital.consultations.services import mdt as services
from hospital.prescriptions.models import Prescription
from notifications.models import Notification
from tests.hospital.consultation_factories import api_client_for
from tests.hospital.factories import DoctorFactory
from tests.hospital.prescription_factories import (
    PrescribingConsultationFactory,
    item_payload,
    load_formulary,
)

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def record_url(patient_id: int) -> str:
    return f"/api/v1/patients/{patient_id}/record/"


@pytest.fixture
def consultation():
    return PrescribingConsultationFactory()


@pytest.fixture
def specialist():
    return DoctorFactory(name="内分泌专家")


def invite(consultation, *doctors, hours: int = 24) -> MdtConsultation:
    return services.mdt_invite(
        doctor_user=consultation.doctor.user,
        consultation_id=consultation.pk,
        doctor_ids=[d.pk for d in doctors],
        question="血糖控制不佳，是否需要加用胰岛素？",
        access_hours=hours,
    )


def test_invited_doctor_reads_the_record_from_acceptance_until_expiry(consultation, specialist):
    client = api_client_for(specialist.user)
    with time_machine.travel(START, tick=False) as clock:
        mdt = invite(consultation, specialist, hours=24)
        # Invited but not yet accepted: the record stays closed, like to any other doctor.
        assert client.get(record_url(consultation.patient_id)).status_code == 404

        assert client.post(f"/api/v1/mdt/{mdt.pk}/accept/").status_code == 200
        assert client.get(record_url(consultation.patient_id)).status_code == 200

        clock.move_to(START + dt.timedelta(hours=23, minutes=59))
        assert client.get(record_url(consultation.patient_id)).status_code == 200

        # At the end of the access period it closes, before any scan has run.
        clock.move_to(START + dt.timedelta(hours=24))
        assert client.get(record_url(consultation.patient_id)).status_code == 404
        assert MdtConsultation.objects.get(pk=mdt.pk).status == MdtConsultation.Status.OPEN

        assert services.mdts_expire() == 1
        assert services.mdts_expire() == 0
        assert MdtConsultation.objects.get(pk=mdt.pk).status == MdtConsultation.Status.EXPIRED


def test_closing_ends_access_at_once(consultation, specialist):
    client = api_client_for(specialist.user)
    mdt = invite(consultation, specialist)
    services.mdt_accept(doctor_user=specialist.user, mdt_id=mdt.pk)
    assert client.get(record_url(consultation.patient_id)).status_code == 200

    response = api_client_for(consultation.doctor.user).post(
        f"/api/v1/mdt/{mdt.pk}/close/", {"conclusion": "加用基础胰岛素"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert client.get(record_url(consultation.patient_id)).status_code == 404
    # Still readable as a 会诊 the doctor took part in, but no longer live.
    detail = client.get(f"/api/v1/mdt/{mdt.pk}/").json()
    assert (detail["is_live"], detail["conclusion"]) == (False, "加用基础胰岛素")


def test_patient_sees_each_read_by_the_specialist_in_the_access_log(consultation, specialist):
    mdt = invite(consultation, specialist)
    services.mdt_accept(doctor_user=specialist.user, mdt_id=mdt.pk)
    before = AccessLogEntry.objects.count()

    api_client_for(specialist.user).get(record_url(consultation.patient_id))

    entry = AccessLogEntry.objects.order_by("-sequence").first()
    assert AccessLogEntry.objects.count() > before
    assert (entry.actor, entry.patient_id, entry.outcome, entry.detail) == (
        specialist.user,
        consultation.patient_id,
        "success",
        "mdt_specialist",
    )
    # The patient's own access log page lists the specialist's read.
    page = api_client_for(consultation.patient.account)
    page.force_login(consultation.patient.account)
    response = page.get(f"/records/{consultation.patient_id}/access-log/")
    assert response.status_code == 200
    assert specialist.name in response.content.decode()


def test_an_uninvited_doctor_gets_404_for_the_mdt_and_the_record(consultation, specialist):
    mdt = invite(consultation, specialist)
    services.mdt_accept(doctor_user=specialist.user, mdt_id=mdt.pk)
    stranger = api_client_for(DoctorFactory().user)

    assert stranger.get(f"/api/v1/mdt/{mdt.pk}/").status_code == 404
    assert stranger.post(f"/api/v1/mdt/{mdt.pk}/accept/").status_code == 404
    assert stranger.post(f"/api/v1/mdt/{mdt.pk}/opinion/", {"opinion": "x"}).status_code == 404
    assert stranger.post(f"/api/v1/mdt/{mdt.pk}/close/").status_code == 404
    assert stranger.get("/api/v1/mdt/").json()["results"] == []
    assert stranger.get(record_url(consultation.patient_id)).status_code == 404
    denied = AccessLogEntry.objects.order_by("-sequence").first()
    assert (denied.outcome, denied.patient_id) == ("denied", consultation.patient_id)


def test_invited_doctor_cannot_prescribe(consultation, specialist):
    load_formulary()
    mdt = invite(consultation, specialist)
    services.mdt_accept(doctor_user=specialist.user, mdt_id=mdt.pk)

    response = api_client_for(specialist.user).post(
        f"/api/v1/consultations/{consultation.pk}/prescriptions/",
        {"diagnosis_codes": ["I10"], "items": [item_payload()]},
        format="json",
    )

    assert response.status_code == 404
    assert not Prescription.objects.filter(consultation=consultation).exists()


def test_invitation_opinion_and_notifications_through_the_api(
    consultation, specialist, django_capture_on_commit_callbacks
):
    second = DoctorFactory()
    treating = api_client_for(consultation.doctor.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = treating.post(
            f"/api/v1/consultations/{consultation.pk}/mdt/",
            {"doctors": [specialist.pk, second.pk], "question": "是否需要调整降压方案？"},
            format="json",
        )
    assert response.status_code == 201, response.content
    mdt_id = response.json()["id"]
    assert {i["doctor"]["id"] for i in response.json()["invitations"]} == {
        specialist.pk,
        second.pk,
    }
    assert Notification.objects.filter(
        recipient=specialist.user, kind="hospital.mdt_invited"
    ).exists()

    client = api_client_for(specialist.user)
    queue = client.get("/api/v1/mdt/", {"role": "invited"}).json()["results"]
    assert [m["id"] for m in queue] == [mdt_id]

    # An opinion needs an accepted invitation.
    early = client.post(f"/api/v1/mdt/{mdt_id}/opinion/", {"opinion": "建议加用ACEI"})
    assert early.status_code == 409
    client.post(f"/api/v1/mdt/{mdt_id}/accept/")
    with django_capture_on_commit_callbacks(execute=True):
        answered = client.post(f"/api/v1/mdt/{mdt_id}/opinion/", {"opinion": "建议加用ACEI"})
    assert answered.status_code == 200
    mine = next(i for i in answered.json()["invitations"] if i["doctor"]["id"] == specialist.pk)
    assert (mine["status"], mine["opinion"]) == ("answered", "建议加用ACEI")
    assert Notification.objects.filter(
        recipient=consultation.doctor.user, kind="hospital.mdt_answered"
    ).exists()

    second_client = api_client_for(second.user)
    declined = second_client.post(f"/api/v1/mdt/{mdt_id}/decline/", {"reason": "休假"})
    assert declined.status_code == 200
    assert MdtInvitation.objects.get(mdt_id=mdt_id, doctor=second).status == "declined"
    assert second_client.get(record_url(consultation.patient_id)).status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"doctors": [], "question": "是否需要调整降压方案？"}, "doctors"),
        ({"doctors": ["x"], "question": "是否需要调整降压方案？"}, "doctors"),
        ({"doctors": [999999], "question": "是否需要调整降压方案？"}, "doctors"),
        ({"question": "是否需要调整降压方案？"}, "doctors"),
        ({"doctors": [0], "question": ""}, "question"),
        ({"doctors": [0], "question": "好"}, "question"),
        ({"doctors": [0], "question": "是否需要调整降压方案？", "access_hours": 10000}, None),
    ],
)
def test_bad_invitations_are_400_with_field_errors_and_change_nothing(
    consultation, specialist, payload, field
):
    payload = {
        **payload,
        "doctors": [specialist.pk if d == 0 else d for d in payload.get("doctors", [])]
        if "doctors" in payload
        else None,
    }
    if payload["doctors"] is None:
        del payload["doctors"]
    response = api_client_for(consultation.doctor.user).post(
        f"/api/v1/consultations/{consultation.pk}/mdt/", payload, format="json"
    )
    assert response.status_code == 400, response.content
    if field:
        assert field in str(response.json())
    assert not MdtConsultation.objects.exists()


def test_the_treating_doctor_cannot_invite_themself_nor_a_doctor_who_may_not_practise(
    consultation,
):
    with pytest.raises(DomainError):
        invite(consultation, consultation.doctor)
    suspended = DoctorFactory(is_suspended=True, suspension_reason="审查中")
    with pytest.raises(DomainError):
        invite(consultation, suspended)
    assert not MdtConsultation.objects.exists()


def test_only_the_treating_doctor_of_an_open_consultation_invites(consultation, specialist):
    with pytest.raises(NotFound):
        services.mdt_invite(
            doctor_user=specialist.user,
            consultation_id=consultation.pk,
            doctor_ids=[DoctorFactory().pk],
            question="是否需要调整降压方案？",
        )
    consultation.status = "closed"
    consultation.closed_at = timezone.now()
    consultation.save(update_fields=["status", "closed_at"])
    with pytest.raises(Conflict):
        invite(consultation, specialist)


def test_a_suspended_specialist_loses_access(consultation, specialist):
    mdt = invite(consultation, specialist)
    services.mdt_accept(doctor_user=specialist.user, mdt_id=mdt.pk)
    specialist.is_suspended, specialist.suspension_reason = True, "执业资格审查中"
    specialist.save(update_fields=["is_suspended", "suspension_reason"])
    response = api_client_for(specialist.user).get(record_url(consultation.patient_id))
    assert response.status_code == 404


def test_an_expired_invitation_can_no_longer_be_accepted(consultation, specialist):
    with time_machine.travel(START, tick=False) as clock:
        mdt = invite(consultation, specialist, hours=2)
        clock.move_to(START + dt.timedelta(hours=3))
        response = api_client_for(specialist.user).post(f"/api/v1/mdt/{mdt.pk}/accept/")
    assert response.status_code == 409
    assert MdtInvitation.objects.get(mdt=mdt).status == "invited"


def test_an_operator_can_end_access(consultation, specialist):
    mdt = invite(consultation, specialist)
    services.mdt_accept(doctor_user=specialist.user, mdt_id=mdt.pk)
    services.mdt_end_access(actor=None, mdt_id=mdt.pk)
    assert MdtConsultation.objects.get(pk=mdt.pk).status == MdtConsultation.Status.EXPIRED
    response = api_client_for(specialist.user).get(record_url(consultation.patient_id))
    assert response.status_code == 404


def test_list_queries_do_not_grow_with_the_page(consultation, django_assert_max_num_queries):
    specialists = [DoctorFactory() for _ in range(3)]
    for _ in range(2):
        invite(consultation, *specialists)
    client = api_client_for(consultation.doctor.user)
    client.get("/api/v1/mdt/")  # warm caches (session, permissions)
    with django_assert_max_num_queries(12) as few:
        client.get("/api/v1/mdt/")
    for _ in range(6):
        invite(consultation, *specialists)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/mdt/").json()["results"]) == 8
