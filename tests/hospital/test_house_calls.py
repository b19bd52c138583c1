"""House calls (上门): request at a served address, phone triage, dispatch, the doctor's visit,
cancellation and refunds by policy, notes in the health record, the simulator, the demo."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from audit.models import AccessLogEntry
from hospital.housecalls import services
from hospital.housecalls.models import HouseCall, ServiceArea, ServiceCity
from notifications.models import Notification
from payments.models import Payment
from payments.services import payment_sandbox_complete
from tests.accounts.factories import OperatorUserFactory, PatientProfileFactory
from tests.hospital.consultation_factories import api_client_for
from tests.hospital.factories import DepartmentFactory, DoctorFactory
from tests.hospital.housecall_factories import requested_house_call, service_area

pytestmark = pytest.mark.django_db

S = HouseCall.Status
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def department():
    return DepartmentFactory(code="general", name_zh="全科", name_en="General practice")


@pytest.fixture
def doctor(department):
    return DoctorFactory(department=department)


@pytest.fixture
def operator():
    return OperatorUserFactory()


@pytest.fixture
def patient():
    return PatientProfileFactory()


def _payload(patient, department, /, **changes):
    return {
        "patient": patient.pk,
        "department": department.pk,
        "city": "北京",
        "district": "朝阳区",
        "address": "建国路88号2号楼502",
        "contact_phone": "13800138000",
        "symptoms": "发热三天，行动不便",
        **changes,
    }


def _dispatched(department, operator, **kwargs):
    house_call = requested_house_call(department, **kwargs)
    services.house_call_triage(actor=operator, house_call_id=house_call.pk, outcome="dispatch")
    services.house_call_dispatch(actor=operator, house_call_id=house_call.pk, eta_minutes=40)
    house_call.refresh_from_db()
    return house_call


def _at_status(department, operator, doctor, status):
    house_call = _dispatched(department, operator)
    steps = [
        (S.ACCEPTED, services.house_call_accept),
        (S.ON_THE_WAY, services.house_call_set_out),
        (S.ARRIVED, services.house_call_arrive),
    ]
    for reached, step in steps:
        if house_call.status == status:
            break
        house_call = step(doctor_user=doctor.user, house_call_id=house_call.pk)
        assert house_call.status == reached
    return house_call


# ---- the whole journey ----------------------------------------------------------------------


def test_a_house_call_from_request_to_notes_in_the_record(
    department, doctor, operator, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _whole_journey(department, doctor, operator, patient)
    # The patient heard of each step, once.
    assert (
        Notification.objects.filter(
            recipient=patient.account, kind="hospital.house_call_update"
        ).count()
        == 6
    )  # requested, triaged, accepted, on the way, arrived, completed


def _whole_journey(department, doctor, operator, patient):
    service_area(department, fee=Decimal("199.00"))
    patient_api = api_client_for(patient.account)

    created = patient_api.post("/api/v1/house-calls/", _payload(patient, department), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "pending_payment"
    assert body["fee"] == "199.00"
    assert body["district"] == "朝阳区"
    house_call = HouseCall.objects.get(pk=body["id"])
    payment_sandbox_complete(payment=house_call.payment, succeed=True)
    house_call.refresh_from_db()
    assert house_call.status == S.REQUESTED

    staff_api = api_client_for(operator)
    triaged = staff_api.post(
        f"/api/v1/house-calls/{house_call.pk}/triage/",
        {"outcome": "dispatch", "note": "无胸痛，可上门"},
        format="json",
    )
    assert triaged.status_code == 200, triaged.json()
    assert triaged.json()["status"] == "triaged"
    dispatched = staff_api.post(
        f"/api/v1/house-calls/{house_call.pk}/dispatch/", {"eta_minutes": 45}, format="json"
    )
    assert dispatched.status_code == 200, dispatched.json()
    assert dispatched.json()["status"] == "dispatched"
    assert dispatched.json()["eta"]

    doctor_api = api_client_for(doctor.user)
    offers = doctor_api.get("/api/v1/doctor/house-calls/").json()["results"]
    assert [offer["id"] for offer in offers] == [house_call.pk]
    for path, status in (
        ("accept", "accepted"),
        ("on-the-way", "on_the_way"),
        ("arrived", "arrived"),
    ):
        answer = doctor_api.post(f"/api/v1/house-calls/{house_call.pk}/{path}/", format="json")
        assert answer.status_code == 200, answer.json()
        assert answer.json()["status"] == status
    completed = doctor_api.post(
        f"/api/v1/house-calls/{house_call.pk}/complete/",
        {
            "notes": "体温38.5℃，咽部充血，考虑上呼吸道感染。",
            "advice": "多饮水",
            "diagnosis_codes": ["j06.9"],
        },
        format="json",
    )
    assert completed.status_code == 200, completed.json()
    assert completed.json()["status"] == "completed"
    assert completed.json()["diagnoses"][0]["code"] == "J06.9"

    detail = patient_api.get(f"/api/v1/house-calls/{house_call.pk}/").json()
    assert [event["to_status"] for event in detail["events"]] == [
        "pending_payment",
        "requested",
        "triaged",
        "dispatched",
        "accepted",
        "on_the_way",
        "arrived",
        "completed",
    ]
    assert detail["doctor"]["name"] == doctor.name
    record = patient_api.get(f"/api/v1/patients/{patient.pk}/record/").json()
    assert record["house_calls"][0]["notes"].startswith("体温38.5℃")
    assert record["house_calls"][0]["diagnoses"] == ["J06.9"]
    # Every write is in the access log the patient sees.
    logged = AccessLogEntry.objects.filter(
        patient_id=patient.pk, object_type="house_call", object_id=str(house_call.pk)
    )
    assert logged.filter(action="create").count() == 1
    assert logged.filter(action="update").count() >= 7
    assert logged.filter(action="read").exists()


def test_the_visiting_doctor_reads_the_record_from_accepting_until_the_window_after(
    department, doctor, operator
):
    house_call = _dispatched(department, operator)
    doctor_api = api_client_for(doctor.user)
    path = f"/api/v1/patients/{house_call.patient_id}/record/"
    assert doctor_api.get(path).status_code == 404  # only offered: not yet theirs
    services.house_call_accept(doctor_user=doctor.user, house_call_id=house_call.pk)
    assert doctor_api.get(path).status_code == 200
    assert AccessLogEntry.objects.filter(
        actor=doctor.user, patient_id=house_call.patient_id, detail="house_call_doctor"
    ).exists()
    services.house_call_set_out(doctor_user=doctor.user, house_call_id=house_call.pk)
    services.house_call_arrive(doctor_user=doctor.user, house_call_id=house_call.pk)
    services.house_call_complete(
        doctor_user=doctor.user, house_call_id=house_call.pk, notes="血压150/95"
    )
    assert doctor_api.get(path).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert doctor_api.get(path).status_code == 404


# ---- triage -------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["online_consult", "emergency", "decline"])
def test_a_triage_that_sends_nobody_ends_the_request_and_refunds_in_full(
    department, operator, outcome
):
    house_call = requested_house_call(department)
    services.house_call_triage(
        actor=operator, house_call_id=house_call.pk, outcome=outcome, note="电话分诊"
    )
    house_call.refresh_from_db()
    assert house_call.status == S.NOT_DISPATCHED
    assert house_call.triage_outcome == outcome
    assert house_call.triaged_by == operator
    assert house_call.refund_amount == house_call.fee
    assert house_call.payment.refunded_amount == house_call.fee
    assert Payment.objects.get(pk=house_call.payment_id).status == Payment.Status.REFUNDED


def test_only_staff_triage_and_dispatch(department, doctor, operator, patient):
    house_call = requested_house_call(department, patient=patient)
    for user in (patient.account, doctor.user):
        api = api_client_for(user)
        triage = api.post(
            f"/api/v1/house-calls/{house_call.pk}/triage/", {"outcome": "dispatch"}, format="json"
        )
        assert triage.status_code == 403
        dispatch = api.post(
            f"/api/v1/house-calls/{house_call.pk}/dispatch/", {"eta_minutes": 30}, format="json"
        )
        assert dispatch.status_code == 403
    house_call.refresh_from_db()
    assert house_call.status == S.REQUESTED


def test_dispatch_needs_an_available_doctor_of_the_department(department, doctor, operator):
    busy = _at_status(department, operator, doctor, S.ACCEPTED)
    assert busy.doctor == doctor
    waiting = requested_house_call(department)
    services.house_call_triage(actor=operator, house_call_id=waiting.pk, outcome="dispatch")
    api = api_client_for(operator)
    answer = api.post(
        f"/api/v1/house-calls/{waiting.pk}/dispatch/", {"eta_minutes": 30}, format="json"
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "no_doctor_available"
    other = DoctorFactory()  # another department
    named = api.post(
        f"/api/v1/house-calls/{waiting.pk}/dispatch/",
        {"eta_minutes": 30, "doctor": other.pk},
        format="json",
    )
    assert named.status_code == 400
    assert "doctor" in named.json()["errors"]
    waiting.refresh_from_db()
    assert waiting.status == S.TRIAGED


def test_an_offer_to_a_named_doctor_is_theirs_alone(
    department, doctor, operator, django_capture_on_commit_callbacks
):
    colleague = DoctorFactory(department=department)
    house_call = requested_house_call(department)
    services.house_call_triage(actor=operator, house_call_id=house_call.pk, outcome="dispatch")
    with django_capture_on_commit_callbacks(execute=True):
        services.house_call_dispatch(
            actor=operator, house_call_id=house_call.pk, eta_minutes=30, doctor_id=colleague.pk
        )
    answer = api_client_for(doctor.user).post(f"/api/v1/house-calls/{house_call.pk}/accept/")
    assert answer.status_code == 404
    taken = api_client_for(colleague.user).post(f"/api/v1/house-calls/{house_call.pk}/accept/")
    assert taken.status_code == 200
    assert Notification.objects.filter(
        recipient=colleague.user, kind="hospital.house_call_offer"
    ).exists()
    assert not Notification.objects.filter(
        recipient=doctor.user, kind="hospital.house_call_offer"
    ).exists()


# ---- bad input ----------------------------------------------------------------------------


def test_an_address_outside_every_service_area_is_a_clear_400_and_nothing_is_made(
    department, patient
):
    service_area(department)
    api = api_client_for(patient.account)
    answer = api.post(
        "/api/v1/house-calls/", _payload(patient, department, district="通州区"), format="json"
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "outside_service_area"
    assert "通州区" in body["errors"]["district"][0]
    assert not HouseCall.objects.exists()
    assert not Payment.objects.exists()


def test_a_district_is_found_however_it_is_written(department, patient):
    service_area(department)
    api = api_client_for(patient.account)
    answer = api.post(
        "/api/v1/house-calls/",
        _payload(patient, department, city="beijing", district="Chaoyang District"),
        format="json",
    )
    assert answer.status_code == 201, answer.json()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"address": ""}, "address"),
        ({"symptoms": "   "}, "symptoms"),
        ({"contact_phone": "call me"}, "contact_phone"),
        ({"patient": "x"}, "patient"),
        ({"department": 0}, "department"),
        ({"city": "A" * 41}, "city"),
    ],
)
def test_bad_request_fields_are_400_with_field_errors(department, patient, changes, field):
    service_area(department)
    answer = api_client_for(patient.account).post(
        "/api/v1/house-calls/", _payload(patient, department, **changes), format="json"
    )
    assert answer.status_code == 400
    assert field in answer.json()["errors"]
    assert not HouseCall.objects.exists()


def test_a_department_not_offered_in_the_city_or_outside_hours_is_refused(department, patient):
    service_area(
        department, district=("海淀区", "Haidian"), opens_at=dt.time(8), closes_at=dt.time(22)
    )
    elsewhere = DepartmentFactory()
    api = api_client_for(patient.account)
    answer = api.post(
        "/api/v1/house-calls/",
        _payload(patient, elsewhere, district="海淀区"),
        format="json",
    )
    assert answer.status_code == 400
    assert "department" in answer.json()["errors"]
    night = timezone.make_aware(dt.datetime(2026, 12, 7, 23, 30))
    with time_machine.travel(night, tick=False):
        late = api.post(
            "/api/v1/house-calls/", _payload(patient, department, district="海淀区"), format="json"
        )
    assert late.status_code == 400
    assert late.json()["code"] == "outside_service_hours"
    assert "08:00" in late.json()["detail"]
    assert not HouseCall.objects.exists()


def test_overnight_hours_wrap_past_midnight(department):
    area = service_area(department, opens_at=dt.time(20), closes_at=dt.time(8))
    local = timezone.get_current_timezone()
    assert services.service_area_is_open(area, dt.datetime(2026, 12, 7, 23, 0, tzinfo=local))
    assert services.service_area_is_open(area, dt.datetime(2026, 12, 7, 7, 59, tzinfo=local))
    assert not services.service_area_is_open(area, dt.datetime(2026, 12, 7, 12, 0, tzinfo=local))


def test_the_doctors_bad_input_is_400_and_out_of_order_steps_are_409(department, doctor, operator):
    house_call = _at_status(department, operator, doctor, S.ACCEPTED)
    api = api_client_for(doctor.user)
    early = api.post(f"/api/v1/house-calls/{house_call.pk}/arrived/")
    assert early.status_code == 409
    eta = api.post(
        f"/api/v1/house-calls/{house_call.pk}/on-the-way/", {"eta_minutes": 0}, format="json"
    )
    assert eta.status_code == 400
    assert "eta_minutes" in eta.json()["errors"]
    too_soon = api.post(
        f"/api/v1/house-calls/{house_call.pk}/complete/", {"notes": "看过了"}, format="json"
    )
    assert too_soon.status_code == 409
    services.house_call_set_out(doctor_user=doctor.user, house_call_id=house_call.pk)
    services.house_call_arrive(doctor_user=doctor.user, house_call_id=house_call.pk)
    no_notes = api.post(
        f"/api/v1/house-calls/{house_call.pk}/complete/", {"notes": "  "}, format="json"
    )
    assert no_notes.status_code == 400
    assert "notes" in no_notes.json()["errors"]
    bad_code = api.post(
        f"/api/v1/house-calls/{house_call.pk}/complete/",
        {"notes": "血压偏高", "diagnosis_codes": ["XYZ"]},
        format="json",
    )
    assert bad_code.status_code == 400
    assert "diagnosis_codes" in bad_code.json()["errors"]
    house_call.refresh_from_db()
    assert house_call.status == S.ARRIVED
    assert house_call.notes == ""


def test_a_doctor_on_a_visit_cannot_take_another(department, doctor, operator):
    _at_status(department, operator, doctor, S.ON_THE_WAY)
    second = requested_house_call(department)
    services.house_call_triage(actor=operator, house_call_id=second.pk, outcome="dispatch")
    DoctorFactory(department=department)  # someone is free, so it can be dispatched
    services.house_call_dispatch(actor=operator, house_call_id=second.pk, eta_minutes=30)
    answer = api_client_for(doctor.user).post(f"/api/v1/house-calls/{second.pk}/accept/")
    assert answer.status_code == 409
    assert answer.json()["code"] == "doctor_busy"


# ---- who sees what ------------------------------------------------------------------------


def test_another_patients_house_call_is_404_everywhere(department, operator, patient):
    theirs = requested_house_call(department)
    api = api_client_for(patient.account)
    assert api.get(f"/api/v1/house-calls/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/house-calls/{theirs.pk}/pay/").status_code == 404
    cancel = api.post(
        f"/api/v1/house-calls/{theirs.pk}/cancel/", {"reason": "不需要了"}, format="json"
    )
    assert cancel.status_code == 404
    assert api.get("/api/v1/house-calls/").json()["results"] == []
    from django.test import Client

    page = Client()
    page.force_login(patient.account)
    assert page.get(f"/house-calls/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == S.REQUESTED


def test_a_doctor_of_another_department_never_sees_the_offer(department, doctor, operator):
    house_call = _dispatched(department, operator)
    outsider = DoctorFactory()
    api = api_client_for(outsider.user)
    assert api.get("/api/v1/doctor/house-calls/").json()["results"] == []
    assert api.post(f"/api/v1/house-calls/{house_call.pk}/accept/").status_code == 404


# ---- cancelling and refunds ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "refunded"),
    [
        (S.REQUESTED, Decimal("200.00")),
        (S.TRIAGED, Decimal("200.00")),
        (S.DISPATCHED, Decimal("160.00")),
        (S.ACCEPTED, Decimal("160.00")),
        (S.ON_THE_WAY, Decimal("100.00")),
        (S.ARRIVED, Decimal("0.00")),
    ],
)
def test_the_patient_is_refunded_by_how_far_the_visit_got(
    department, doctor, operator, status, refunded
):
    if status in (S.REQUESTED, S.TRIAGED):
        house_call = requested_house_call(department)
        if status == S.TRIAGED:
            services.house_call_triage(
                actor=operator, house_call_id=house_call.pk, outcome="dispatch"
            )
    else:
        house_call = _at_status(department, operator, doctor, status)
    api = api_client_for(house_call.patient.account)
    answer = api.post(
        f"/api/v1/house-calls/{house_call.pk}/cancel/", {"reason": "家人已送医"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "cancelled"
    assert answer.json()["cancelled_by"] == "patient"
    assert Decimal(answer.json()["refund_amount"]) == refunded
    payment = Payment.objects.get(pk=house_call.payment_id)
    assert payment.refunded_amount == refunded
    again = api.post(
        f"/api/v1/house-calls/{house_call.pk}/cancel/", {"reason": "家人已送医"}, format="json"
    )
    assert again.status_code == 200
    payment.refresh_from_db()
    assert payment.refunded_amount == refunded  # never twice


def test_the_doctor_cancelling_on_the_way_refunds_in_full_and_tells_the_patient(
    department, doctor, operator, django_capture_on_commit_callbacks
):
    house_call = _at_status(department, operator, doctor, S.ON_THE_WAY)
    api = api_client_for(doctor.user)
    no_reason = api.post(f"/api/v1/house-calls/{house_call.pk}/cancel/", {}, format="json")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["errors"]
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(
            f"/api/v1/house-calls/{house_call.pk}/cancel/", {"reason": "车辆故障"}, format="json"
        )
    assert answer.status_code == 200
    house_call.refresh_from_db()
    assert house_call.cancelled_by == "doctor"
    assert house_call.refund_amount == house_call.fee
    notice = Notification.objects.filter(
        recipient=house_call.patient.account, dedupe_key=f"house_call:{house_call.pk}:cancelled"
    ).get()
    assert "车辆故障" in notice.body


def test_a_completed_house_call_cannot_be_cancelled(department, doctor, operator):
    house_call = _at_status(department, operator, doctor, S.ARRIVED)
    services.house_call_complete(doctor_user=doctor.user, house_call_id=house_call.pk, notes="好")
    answer = api_client_for(house_call.patient.account).post(
        f"/api/v1/house-calls/{house_call.pk}/cancel/", {"reason": "算了"}, format="json"
    )
    assert answer.status_code == 409


def test_an_unpaid_request_expires_and_a_late_payment_goes_back(department):
    house_call = requested_house_call(department, paid=False)
    assert house_call.status == S.PENDING_PAYMENT
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        assert services.house_calls_expire_unpaid() == 1
    house_call.refresh_from_db()
    assert house_call.status == S.CANCELLED
    assert house_call.cancelled_by == "system"
    payment = Payment.objects.get(pk=house_call.payment_id)
    assert payment.status == Payment.Status.CANCELLED


def test_paying_twice_moves_the_request_on_once(department):
    house_call = requested_house_call(department)
    payment_sandbox_complete(payment=house_call.payment, succeed=True)
    house_call.refresh_from_db()
    assert house_call.status == S.REQUESTED
    assert house_call.events.filter(to_status=S.REQUESTED).count() == 1


# ---- simulator, pages, admin, demo ---------------------------------------------------------


def test_the_dispatch_simulator_moves_a_visit_to_the_door_and_leaves_the_notes_to_the_doctor(
    department, doctor, operator
):
    house_call = _dispatched(department, operator)
    seen = []
    for _step in range(4):
        out = io.StringIO()
        call_command("house_call_simulate", stdout=out)
        house_call.refresh_from_db()
        seen.append(house_call.status)
    assert seen == [S.ACCEPTED, S.ON_THE_WAY, S.ARRIVED, S.ARRIVED]
    assert house_call.doctor == doctor
    assert house_call.notes == ""


def test_patient_pages_in_chinese_and_english(client, department, doctor, operator, patient):
    service_area(department)
    client.force_login(patient.account)
    page = client.get("/house-calls/", **ZH).content.decode()
    assert "上门" in page
    assert "朝阳区" in page
    assert "Request and pay" not in page
    english = client.get("/house-calls/", **EN).content.decode()
    assert "Request and pay" in english
    assert "Chaoyang" in english
    outside = client.post(
        "/house-calls/",
        {**_payload(patient, department, district="通州区")},
        **ZH,
    )
    assert outside.status_code == 400
    assert "暂不提供上门服务" in outside.content.decode()
    requested = client.post("/house-calls/", _payload(patient, department), **ZH)
    assert requested.status_code == 302
    house_call = HouseCall.objects.get()
    payment_sandbox_complete(payment=house_call.payment, succeed=True)
    tracking = client.get(f"/house-calls/{house_call.pk}/", **ZH).content.decode()
    assert "等待分诊电话" in tracking
    assert 'hx-trigger="every 20s"' in tracking
    cancelled = client.post(f"/house-calls/{house_call.pk}/cancel/", {"reason": "不需要了"}, **ZH)
    assert cancelled.status_code == 302
    house_call.refresh_from_db()
    assert house_call.status == S.CANCELLED
    assert house_call.refund_amount == house_call.fee


def test_the_doctors_page_accepts_and_completes_with_notes(client, department, doctor, operator):
    from tests.accounts.factories import activate_totp

    house_call = _dispatched(department, operator)
    activate_totp(doctor.user)
    client.force_login(doctor.user)
    page = client.get("/doctor/house-calls/", **ZH).content.decode()
    assert "接单" in page
    action = f"/doctor/house-calls/{house_call.pk}/"
    for step in ("accept", "on_the_way", "arrived"):
        assert client.post(action, {"action": step}, **ZH).status_code == 302
    page = client.get("/doctor/house-calls/", **EN).content.decode()
    assert "Complete the visit" in page
    client.post(
        action, {"action": "complete", "notes": "血压150/95", "diagnosis_codes": "I10，E11.9"}, **ZH
    )
    house_call.refresh_from_db()
    assert house_call.status == S.COMPLETED
    assert [d["code"] for d in house_call.diagnoses] == ["I10", "E11.9"]


def test_operators_triage_and_dispatch_from_the_admin(client, department, doctor):
    from tests.accounts.factories import UserFactory, activate_totp

    admin_user = UserFactory(is_staff=True, is_superuser=True)
    activate_totp(admin_user)
    client.force_login(admin_user)
    house_call = requested_house_call(department)
    changelist = client.get(
        "/admin/hospital/housecall/", {"q": house_call.contact_phone, "status__exact": "requested"}
    )
    assert changelist.status_code == 200
    assert f"#{house_call.pk}" in changelist.content.decode() or str(house_call.pk) in (
        changelist.content.decode()
    )
    for action in ("triage_dispatch", "dispatch_30"):
        answer = client.post(
            "/admin/hospital/housecall/",
            {"action": action, "_selected_action": [house_call.pk]},
        )
        assert answer.status_code == 302
    house_call.refresh_from_db()
    assert house_call.status == S.DISPATCHED
    assert house_call.triaged_by == admin_user
    assert client.get(f"/admin/hospital/housecall/{house_call.pk}/change/").status_code == 200
    assert client.get("/admin/hospital/servicearea/", {"q": "朝阳"}).status_code == 200
    assert client.get("/admin/hospital/servicecity/").status_code == 200


def test_the_demo_serves_beijing_and_has_one_house_call_under_way():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert ServiceCity.objects.filter(name_zh="北京").exists()
    assert ServiceArea.objects.filter(city__name_zh="北京").count() == 2
    under_way = HouseCall.objects.get()
    assert under_way.status == S.ACCEPTED
    assert under_way.doctor.user.email == "doctor@xinglin.test"
    call_command("seed_demo", stdout=io.StringIO())
    assert HouseCall.objects.count() == 1


def _queries(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_lists_take_the_same_queries_for_one_house_call_or_many(department, doctor, operator):
    patient = PatientProfileFactory()
    _dispatched(department, operator, patient=patient)
    patient_api = api_client_for(patient.account)
    doctor_api = api_client_for(doctor.user)
    _queries(patient_api, "/api/v1/house-calls/")  # warms the per-user role cache
    _queries(doctor_api, "/api/v1/doctor/house-calls/")
    one = _queries(patient_api, "/api/v1/house-calls/")
    offers_one = _queries(doctor_api, "/api/v1/doctor/house-calls/")
    for _extra in range(4):
        _dispatched(department, operator, patient=patient)
    assert _queries(patient_api, "/api/v1/house-calls/") == one
    assert _queries(doctor_api, "/api/v1/doctor/house-calls/") == offers_one
    assert len(doctor_api.get("/api/v1/doctor/house-calls/").json()["results"]) == 5


def test_the_triage_desk_records_the_call_with_its_note_and_dispatches(
    client, department, doctor, operator, patient
):
    from tests.accounts.factories import activate_totp

    house_call = requested_house_call(department)
    client.force_login(patient.account)
    assert client.get("/house-calls/triage/").status_code == 403
    activate_totp(operator)
    client.force_login(operator)
    desk = client.get("/house-calls/triage/", **ZH).content.decode()
    assert "上门分诊台" in desk
    assert house_call.contact_phone in desk
    client.post(
        "/house-calls/triage/",
        {
            "action": "triage",
            "house_call": house_call.pk,
            "outcome": "dispatch",
            "note": "无胸痛，神志清楚",
        },
    )
    bad = client.post(
        "/house-calls/triage/",
        {"action": "dispatch", "house_call": house_call.pk, "eta_minutes": 1000},
        follow=True,
        **EN,
    )
    assert "less than or equal to 240" in bad.content.decode()
    house_call.refresh_from_db()
    assert house_call.status == S.TRIAGED
    client.post(
        "/house-calls/triage/",
        {"action": "dispatch", "house_call": house_call.pk, "eta_minutes": 50},
    )
    house_call.refresh_from_db()
    assert house_call.status == S.DISPATCHED
    assert house_call.triage_note == "无胸痛，神志清楚"
    assert house_call.triaged_by == operator
