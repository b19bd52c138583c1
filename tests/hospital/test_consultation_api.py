import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AccessLogEntry
from core.exceptions import Conflict
from hospital.booking.models import Appointment
from hospital.consultations.models import Consultation, ConsultationMessage
from hospital.consultations.services import calls, chat, clinical, visits
from hospital.doctors.services import doctor_suspend
from notifications.models import Notification
from tests.accounts.factories import OperatorUserFactory, PatientProfileFactory
from tests.hospital.consultation_factories import (
    ConfirmedAppointmentFactory,
    MedicalDocumentFactory,
    OpenConsultationFactory,
    QuickConsultFactory,
    api_client_for,
)
from tests.hospital.factories import DoctorFactory

pytestmark = pytest.mark.django_db

# The access log takes an advisory lock on PostgreSQL (one more statement than on SQLite).
ADVISORY_LOCK = 1 if connection.vendor == "postgresql" else 0


def _url(consultation, suffix=""):
    return f"/api/v1/consultations/{consultation.pk}/{suffix}"


# --- opening from an appointment --------------------------------------------------------------


def test_patient_opens_a_due_appointment_and_it_moves_to_in_consultation():
    appointment = ConfirmedAppointmentFactory()
    response = api_client_for(appointment.patient.account).post(
        f"/api/v1/appointments/{appointment.pk}/consultation/"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "open"
    assert body["kind"] == "appointment"
    assert body["doctor"]["id"] == appointment.doctor_id
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.IN_CONSULTATION
    consultation = Consultation.objects.get()
    assert consultation.messages.get().kind == ConsultationMessage.Kind.SYSTEM
    # A second open (a double click, the other participant) returns the same consultation.
    again = api_client_for(appointment.doctor.user).post(
        f"/api/v1/appointments/{appointment.pk}/consultation/"
    )
    assert again.status_code == 201
    assert again.json()["id"] == consultation.pk
    assert Consultation.objects.count() == 1


def test_patient_cannot_open_long_before_the_start_but_the_doctor_can():
    start = timezone.now() + dt.timedelta(hours=1)
    appointment = ConfirmedAppointmentFactory(
        slot__starts_at=start, slot__ends_at=start + dt.timedelta(minutes=15)
    )
    early = api_client_for(appointment.patient.account).post(
        f"/api/v1/appointments/{appointment.pk}/consultation/"
    )
    assert early.status_code == 409
    assert early.json()["code"] == "too_early"
    assert not Consultation.objects.exists()
    by_doctor = api_client_for(appointment.doctor.user).post(
        f"/api/v1/appointments/{appointment.pk}/consultation/"
    )
    assert by_doctor.status_code == 201


def test_an_unpaid_appointment_cannot_start_a_consultation():
    appointment = ConfirmedAppointmentFactory(status=Appointment.Status.PENDING_PAYMENT)
    response = api_client_for(appointment.doctor.user).post(
        f"/api/v1/appointments/{appointment.pk}/consultation/"
    )
    assert response.status_code == 409
    assert not Consultation.objects.exists()


def test_someone_elses_appointment_is_not_found():
    appointment = ConfirmedAppointmentFactory()
    outsider = PatientProfileFactory().account
    response = api_client_for(outsider).post(f"/api/v1/appointments/{appointment.pk}/consultation/")
    assert response.status_code == 404


# --- who may see it ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "messages/", "messages/?after=0"])
def test_only_the_two_participants_see_a_consultation(suffix):
    consultation = OpenConsultationFactory()
    assert (
        api_client_for(consultation.patient.account).get(_url(consultation, suffix)).status_code
        == 200
    )
    assert (
        api_client_for(consultation.doctor.user).get(_url(consultation, suffix)).status_code == 200
    )
    other_patient = PatientProfileFactory().account
    other_doctor = DoctorFactory(department=consultation.department).user
    operator = OperatorUserFactory()
    for outsider in (other_patient, other_doctor, operator):
        response = api_client_for(outsider).get(_url(consultation, suffix))
        assert response.status_code == 404, outsider


def test_outsiders_cannot_post_or_act():
    consultation = OpenConsultationFactory()
    other_doctor = DoctorFactory(department=consultation.department).user
    client = api_client_for(other_doctor)
    assert (
        client.post(_url(consultation, "messages/"), {"text": "hi"}, format="json").status_code
        == 404
    )
    assert (
        client.post(_url(consultation, "close/"), {"summary": "x"}, format="json").status_code
        == 404
    )
    assert (
        client.post(
            _url(consultation, "diagnoses/"), {"diagnoses": [{"code": "I10"}]}, format="json"
        ).status_code
        == 404
    )
    assert not consultation.messages.exists()


def test_list_shows_own_consultations_in_constant_queries(django_assert_num_queries):
    doctor = DoctorFactory()
    patient = PatientProfileFactory()
    for _ in range(3):
        OpenConsultationFactory(appointment__doctor=doctor, appointment__patient=patient)
    OpenConsultationFactory()  # somebody else's
    patient_client = api_client_for(patient.account)
    doctor_client = api_client_for(doctor.user)
    with django_assert_num_queries(6 + ADVISORY_LOCK):
        response = patient_client.get("/api/v1/consultations/")
    assert response.json()["count"] == 3
    for _ in range(5):
        OpenConsultationFactory(appointment__doctor=doctor, appointment__patient=patient)
    with django_assert_num_queries(6 + ADVISORY_LOCK):
        response = doctor_client.get("/api/v1/consultations/")
    assert response.json()["count"] == 8
    assert doctor_client.get("/api/v1/consultations/?status=closed").json()["count"] == 0
    assert doctor_client.get("/api/v1/consultations/?status=bogus").status_code == 400


# --- messages ----------------------------------------------------------------------------------


def test_polling_returns_messages_after_the_cursor_in_constant_queries(django_assert_num_queries):
    consultation = OpenConsultationFactory()
    client = api_client_for(consultation.patient.account)
    first = client.post(_url(consultation, "messages/"), {"text": "血压最近 150/95"}, format="json")
    assert first.status_code == 201
    assert first.json()["sender_role"] == "patient"
    cursor = first.json()["id"]
    empty = client.get(_url(consultation, f"messages/?after={cursor}"))
    assert empty.json() == {"results": [], "next_cursor": cursor, "has_more": False}

    def poll():
        return client.get(_url(consultation, f"messages/?after={cursor}"))

    ConsultationMessage.objects.create(
        consultation=consultation, sender=consultation.doctor.user, kind="text", body="一"
    )
    with django_assert_num_queries(6 + ADVISORY_LOCK) as captured:
        response = poll()
    short_history = len(captured.captured_queries)
    for n in range(60):
        ConsultationMessage.objects.create(
            consultation=consultation, sender=consultation.doctor.user, kind="text", body=str(n)
        )
    with django_assert_num_queries(short_history):
        response = poll()
    body = response.json()
    assert len(body["results"]) == 61
    assert [m["id"] for m in body["results"]] == sorted(m["id"] for m in body["results"])
    assert body["results"][0]["sender_role"] == "doctor"
    assert body["next_cursor"] == body["results"][-1]["id"]
    # An empty poll writes no access log entry (it read nothing).
    logged = AccessLogEntry.objects.count()
    assert (
        client.get(_url(consultation, f"messages/?after={body['next_cursor']}")).json()["results"]
        == []
    )
    assert AccessLogEntry.objects.count() == logged


def test_bad_cursor_is_a_400():
    consultation = OpenConsultationFactory()
    response = api_client_for(consultation.patient.account).get(
        _url(consultation, "messages/?after=abc")
    )
    assert response.status_code == 400
    assert "after" in response.json()["errors"]


def test_no_messages_after_close():
    consultation = OpenConsultationFactory()
    visits.consultation_close(
        doctor_user=consultation.doctor.user, consultation_id=consultation.pk, summary="好"
    )
    response = api_client_for(consultation.patient.account).post(
        _url(consultation, "messages/"), {"text": "还有问题"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "consultation_not_open"


def test_empty_message_is_a_400():
    consultation = OpenConsultationFactory()
    response = api_client_for(consultation.patient.account).post(
        _url(consultation, "messages/"), {"text": ""}, format="json"
    )
    assert response.status_code == 400
    assert "text" in response.json()["errors"]


def test_system_message_for_other_modules():
    consultation = OpenConsultationFactory()
    message = chat.consultation_post_system_message(consultation=consultation, text="处方已开具")
    body = api_client_for(consultation.patient.account).get(_url(consultation, "messages/")).json()
    assert body["results"][-1] == {
        "id": message.pk,
        "kind": "system",
        "sender_role": "system",
        "text": "处方已开具",
        "attachment": None,
        "created_at": body["results"][-1]["created_at"],
    }


# --- diagnoses, follow-up, referral, close, rating ---------------------------------------------


def test_diagnoses_are_validated_and_one_is_primary():
    consultation = OpenConsultationFactory()
    client = api_client_for(consultation.doctor.user)
    bad = client.post(
        _url(consultation, "diagnoses/"), {"diagnoses": [{"code": "XYZ"}]}, format="json"
    )
    assert bad.status_code == 400
    assert "diagnoses" in bad.json()["errors"]
    follow_up = timezone.localdate() + dt.timedelta(days=30)
    response = client.post(
        _url(consultation, "diagnoses/"),
        {
            "diagnoses": [{"code": "e119"}, {"code": "I10", "primary": True}],
            "notes": "血糖控制欠佳",
            "advice": "低盐低糖饮食",
            "follow_up_on": follow_up.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(d["code"], d["is_primary"]) for d in body["diagnoses"]] == [
        ("I10", True),
        ("E11.9", False),
    ]
    assert body["advice"] == "低盐低糖饮食"
    assert body["follow_up_on"] == follow_up.isoformat()
    # Recording E11.9 as primary later demotes I10.
    client.post(
        _url(consultation, "diagnoses/"),
        {"diagnoses": [{"code": "E11.9", "primary": True}]},
        format="json",
    )
    primaries = list(consultation.diagnoses.filter(is_primary=True).values_list("code", flat=True))
    assert primaries == ["E11.9"]


def test_a_first_visit_may_not_prescribe_until_evidence_is_recorded():
    consultation = OpenConsultationFactory()
    doctor_user = consultation.doctor.user
    assert not clinical.consultation_may_prescribe(consultation)
    with pytest.raises(Conflict):
        clinical.consultation_check_may_prescribe(
            consultation=consultation, doctor_user=doctor_user
        )
    client = api_client_for(doctor_user)
    no_evidence = client.post(_url(consultation, "follow-up/"), {"qualifies": True}, format="json")
    assert no_evidence.status_code == 400
    someone_elses = MedicalDocumentFactory()
    wrong_patient = client.post(
        _url(consultation, "follow-up/"),
        {"qualifies": True, "evidence": [someone_elses.pk]},
        format="json",
    )
    assert wrong_patient.status_code == 400
    assert "evidence" in wrong_patient.json()["errors"]
    document = MedicalDocumentFactory(patient=consultation.patient)
    ok = client.post(
        _url(consultation, "follow-up/"),
        {"qualifies": True, "evidence": [document.pk], "note": "2024年确诊高血压"},
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["may_prescribe"] is True
    consultation.refresh_from_db()
    clinical.consultation_check_may_prescribe(consultation=consultation, doctor_user=doctor_user)
    assert list(consultation.follow_up_evidence.all()) == [document]


@pytest.mark.parametrize("document_id", [2**63, 10**20, 0])
def test_an_evidence_id_beyond_any_id_is_a_400_not_a_500(document_id):
    consultation = OpenConsultationFactory()
    client = api_client_for(consultation.doctor.user)
    response = client.post(
        _url(consultation, "follow-up/"),
        {"qualifies": True, "evidence": [document_id]},
        format="json",
    )
    assert response.status_code == 400
    assert "evidence" in response.json()["errors"]
    consultation.refresh_from_db()
    assert consultation.qualifies_as_follow_up is None


def test_refer_closes_with_outcome_referred_and_completes_the_appointment():
    consultation = OpenConsultationFactory()
    client = api_client_for(consultation.doctor.user)
    missing = client.post(_url(consultation, "refer/"), {"reason": "需要查体"}, format="json")
    assert missing.status_code == 400
    assert "hospital" in missing.json()["errors"]
    response = client.post(
        _url(consultation, "refer/"),
        {"reason": "首诊胸痛，需线下心电图检查", "department": consultation.department_id},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "closed"
    assert body["outcome"] == "referred"
    assert body["referral"]["reason"] == "首诊胸痛，需线下心电图检查"
    consultation.appointment.refresh_from_db()
    assert consultation.appointment.status == Appointment.Status.COMPLETED


def test_close_needs_a_summary_and_invalid_transitions_are_409(
    django_capture_on_commit_callbacks,
):
    consultation = OpenConsultationFactory()
    client = api_client_for(consultation.doctor.user)
    assert client.post(_url(consultation, "close/"), {}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        closed = client.post(
            _url(consultation, "close/"), {"summary": "继续服药，一月后复诊"}, format="json"
        )
    assert closed.status_code == 200
    assert closed.json()["outcome"] == "completed"
    assert (
        client.post(_url(consultation, "close/"), {"summary": "again"}, format="json").status_code
        == 200
    )
    assert (
        client.post(
            _url(consultation, "refer/"), {"reason": "x", "hospital": "y"}, format="json"
        ).status_code
        == 409
    )
    assert (
        client.post(
            _url(consultation, "diagnoses/"), {"diagnoses": [{"code": "I10"}]}, format="json"
        ).status_code
        == 409
    )
    assert Notification.objects.filter(kind="hospital.consultation_closed").count() == 1


def test_rating_once_feeds_the_doctors_rating():
    consultation = OpenConsultationFactory()
    patient_client = api_client_for(consultation.patient.account)
    early = patient_client.post(_url(consultation, "rating/"), {"rating": 5}, format="json")
    assert early.status_code == 409
    visits.consultation_close(
        doctor_user=consultation.doctor.user, consultation_id=consultation.pk, summary="好"
    )
    assert (
        patient_client.post(_url(consultation, "rating/"), {"rating": 6}, format="json").status_code
        == 400
    )
    assert (
        api_client_for(consultation.doctor.user)
        .post(_url(consultation, "rating/"), {"rating": 1}, format="json")
        .status_code
        == 404
    )
    response = patient_client.post(
        _url(consultation, "rating/"), {"rating": 4, "comment": "耐心"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["rating"] == 4
    again = patient_client.post(_url(consultation, "rating/"), {"rating": 1}, format="json")
    assert again.status_code == 409
    consultation.doctor.refresh_from_db()
    assert consultation.doctor.rating_count == 1
    assert str(consultation.doctor.rating) == "4.0"


# --- the doctor's right to practise --------------------------------------------------------------


def test_a_suspended_doctor_is_refused_on_the_very_next_action():
    consultation = OpenConsultationFactory()
    client = api_client_for(consultation.doctor.user)
    assert (
        client.post(_url(consultation, "messages/"), {"text": "您好"}, format="json").status_code
        == 201
    )
    doctor_suspend(doctor_id=consultation.doctor_id, reason="执业证书调查中", actor=None)
    for suffix, payload in [
        ("messages/", {"text": "继续"}),
        ("diagnoses/", {"diagnoses": [{"code": "I10"}]}),
        ("close/", {"summary": "结束"}),
        ("video/join/", {}),
    ]:
        response = client.post(_url(consultation, suffix), payload, format="json")
        assert response.status_code == 409, suffix
        assert response.json()["code"] in {"doctor_may_not_practise", "not_video"}, suffix
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.OPEN
    assert consultation.messages.count() == 1


# --- quick consults ------------------------------------------------------------------------------


def test_quick_consult_request_claim_and_queue(django_capture_on_commit_callbacks):
    doctor = DoctorFactory()
    patient = PatientProfileFactory()
    patient_client = api_client_for(patient.account)
    created = patient_client.post(
        "/api/v1/quick-consults/",
        {
            "patient": patient.pk,
            "department": doctor.department_id,
            "chief_complaint": "咳嗽一周，有痰",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "waiting"
    assert created.json()["doctor"] is None
    duplicate = patient_client.post(
        "/api/v1/quick-consults/",
        {
            "patient": patient.pk,
            "department": doctor.department_id,
            "chief_complaint": "咳嗽一周，有痰",
        },
        format="json",
    )
    assert duplicate.status_code == 409
    doctor_client = api_client_for(doctor.user)
    queue = doctor_client.get("/api/v1/quick-consults/queue/").json()
    assert [c["id"] for c in queue["results"]] == [created.json()["id"]]
    with django_capture_on_commit_callbacks(execute=True):
        claimed = doctor_client.post("/api/v1/quick-consults/next/")
    assert claimed.status_code == 200
    assert claimed.json()["status"] == "open"
    assert claimed.json()["doctor"]["id"] == doctor.pk
    empty = doctor_client.post("/api/v1/quick-consults/next/")
    assert empty.status_code == 404
    assert empty.json()["code"] == "queue_empty"
    assert Notification.objects.filter(
        recipient=patient.account, kind="hospital.consultation_opened"
    ).exists()


def test_quick_consult_for_someone_elses_profile_is_404():
    doctor = DoctorFactory()
    other = PatientProfileFactory()
    response = api_client_for(PatientProfileFactory().account).post(
        "/api/v1/quick-consults/",
        {
            "patient": other.pk,
            "department": doctor.department_id,
            "chief_complaint": "咳嗽一周，有痰",
        },
        format="json",
    )
    assert response.status_code == 404


def test_second_claim_is_409_and_only_full_time_doctors_of_the_department_claim():
    waiting = QuickConsultFactory()
    first = DoctorFactory(department=waiting.department)
    second = DoctorFactory(department=waiting.department)
    expert = DoctorFactory(department=waiting.department, tier="expert")
    elsewhere = DoctorFactory()
    assert api_client_for(expert.user).post(_url(waiting, "claim/")).status_code == 403
    assert api_client_for(elsewhere.user).post(_url(waiting, "claim/")).status_code == 404
    assert api_client_for(first.user).post(_url(waiting, "claim/")).status_code == 200
    assert api_client_for(first.user).post(_url(waiting, "claim/")).status_code == 200
    late = api_client_for(second.user).post(_url(waiting, "claim/"))
    assert late.status_code == 409
    assert late.json()["code"] == "already_claimed"
    waiting.refresh_from_db()
    assert waiting.doctor == first


def test_patient_may_withdraw_a_waiting_quick_consult():
    waiting = QuickConsultFactory()
    response = api_client_for(waiting.patient.account).post(_url(waiting, "cancel/"))
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    doctor = DoctorFactory(department=waiting.department)
    assert api_client_for(doctor.user).post(_url(waiting, "claim/")).status_code == 409


def test_unclaimed_quick_consults_alert_operators_once(django_capture_on_commit_callbacks):
    operator = OperatorUserFactory()
    old = QuickConsultFactory()
    Consultation.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=11)
    )
    QuickConsultFactory()  # asked just now
    with django_capture_on_commit_callbacks(execute=True):
        assert visits.consultations_alert_unclaimed() == 1
        assert visits.consultations_alert_unclaimed() == 0
    alerts = Notification.objects.filter(recipient=operator, kind="operations.alert")
    assert alerts.count() == 1
    assert f"#{old.pk}" in alerts.get().subject


# --- video and phone -----------------------------------------------------------------------------


def test_video_join_only_for_participants_inside_the_window():
    consultation = OpenConsultationFactory(appointment__slot__mode="video")
    patient_join = api_client_for(consultation.patient.account).post(
        _url(consultation, "video/join/")
    )
    assert patient_join.status_code == 200, patient_join.json()
    body = patient_join.json()
    assert body["room_url"].startswith("https://meet.xinglin.test/xl-")
    assert body["join_url"].startswith(body["room_url"] + "?jwt=")
    doctor_join = (
        api_client_for(consultation.doctor.user).post(_url(consultation, "video/join/")).json()
    )
    assert doctor_join["room_name"] == body["room_name"]
    assert doctor_join["token"] != body["token"]
    outsider = api_client_for(PatientProfileFactory().account).post(
        _url(consultation, "video/join/")
    )
    assert outsider.status_code == 404
    late = consultation.appointment.slot.ends_at + dt.timedelta(hours=1)
    with pytest.raises(Conflict) as refused:
        calls.consultation_join_video(
            user=consultation.patient.account, consultation_id=consultation.pk, now=late
        )
    assert refused.value.code == "too_late"


def test_video_room_names_are_per_consultation_and_follow_the_settings(settings):
    settings.VIDEO_ROOM_BASE_URL = "https://video.example.org/rooms/"
    settings.VIDEO_ROOM_SECRET_KEY = "k1"
    from hospital.consultations.video import video_provider

    first = video_provider().room_name(consultation_id=1)
    assert first != video_provider().room_name(consultation_id=2)
    join = video_provider().join(
        consultation_id=1, participant_id=9, display_name="张三", is_moderator=False
    )
    assert join.room_url == f"https://video.example.org/rooms/{first}"
    settings.VIDEO_ROOM_SECRET_KEY = "k2"
    assert video_provider().room_name(consultation_id=1) != first


def test_phone_arrangement_shows_the_number_to_the_doctor_only_in_the_window():
    consultation = OpenConsultationFactory(appointment__slot__mode="phone")
    doctor_view = api_client_for(consultation.doctor.user).get(_url(consultation, "phone/")).json()
    assert doctor_view["number"] == "+8613800138000"
    assert doctor_view["number_visible"] is True
    later = consultation.appointment.slot.ends_at + dt.timedelta(hours=2)
    masked = calls.consultation_phone_arrangement(
        user=consultation.doctor.user, consultation=consultation, now=later
    )
    assert masked.number == "+86138****8000"
    video = OpenConsultationFactory()
    assert api_client_for(video.doctor.user).get(_url(video, "phone/")).status_code == 409
