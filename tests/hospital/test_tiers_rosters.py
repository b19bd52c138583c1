"""Duty rosters gate the 24×7 quick-consult queue; tier policies set fee bands and promises."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import DomainError, NotAllowed
from hospital.booking.services.appointments import appointment_book
from hospital.consultations import selectors as consultation_selectors
from hospital.consultations.models import Consultation
from hospital.consultations.services.visits import (
    consultation_claim,
    consultation_claim_next,
    consultations_alert_unclaimed,
)
from hospital.doctors.models import DoctorProfile, DutyShift, TierPolicy
from hospital.doctors.rosters import doctor_is_on_duty, doctors_on_duty, duty_shift_add
from notifications.models import Notification
from tests.accounts.factories import OperatorUserFactory
from tests.hospital.consultation_factories import QuickConsultFactory, api_client_for
from tests.hospital.factories import DoctorFactory, SlotFactory

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def local(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def shift(doctor, start, end):
    return DutyShift.objects.create(doctor=doctor, starts_at=start, ends_at=end)


def test_only_a_full_time_doctor_on_duty_now_takes_from_the_queue():
    with time_machine.travel(local(2030, 3, 4, 9), tick=False):
        on_duty = DoctorFactory(on_duty=False)
        off_duty = DoctorFactory(department=on_duty.department, on_duty=False)
        shift(on_duty, local(2030, 3, 4, 8), local(2030, 3, 4, 20))
        shift(off_duty, local(2030, 3, 4, 20), local(2030, 3, 5, 8))
        question = QuickConsultFactory(department=on_duty.department)

        assert list(consultation_selectors.quick_consult_queue(doctor=off_duty)) == []
        with pytest.raises(NotAllowed):
            consultation_claim_next(doctor_user=off_duty.user)
        with pytest.raises(NotAllowed):
            consultation_claim(doctor_user=off_duty.user, consultation_id=question.pk)
        assert list(consultation_selectors.quick_consult_queue(doctor=on_duty)) == [question]
        claimed = consultation_claim_next(doctor_user=on_duty.user)

    assert claimed.pk == question.pk
    assert claimed.doctor_id == on_duty.pk
    question.refresh_from_db()
    assert question.status == Consultation.Status.OPEN


def test_the_night_shift_takes_over_when_the_day_shift_ends():
    with time_machine.travel(local(2030, 3, 4, 9), tick=False):
        day = DoctorFactory(on_duty=False)
        night = DoctorFactory(department=day.department, on_duty=False)
        shift(day, local(2030, 3, 4, 8), local(2030, 3, 4, 20))
        shift(night, local(2030, 3, 4, 20), local(2030, 3, 5, 8))
    with time_machine.travel(local(2030, 3, 4, 20, 0, 1), tick=False):
        assert not doctor_is_on_duty(doctor=day)
        assert doctor_is_on_duty(doctor=night)
        assert list(doctors_on_duty()) == [night]
        QuickConsultFactory(department=day.department)
        with pytest.raises(NotAllowed):
            consultation_claim_next(doctor_user=day.user)
        assert consultation_claim_next(doctor_user=night.user).doctor_id == night.pk


def test_a_rostered_contracted_or_expert_doctor_still_does_not_serve_the_queue():
    expert = DoctorFactory(tier=DoctorProfile.Tier.EXPERT)
    now = timezone.now()
    shift(expert, now - dt.timedelta(hours=1), now + dt.timedelta(hours=1))
    QuickConsultFactory(department=expert.department)
    assert not doctor_is_on_duty(doctor=expert)
    with pytest.raises(NotAllowed):
        consultation_claim_next(doctor_user=expert.user)


def test_the_api_answers_403_to_a_doctor_off_duty_and_leaves_the_question_waiting():
    doctor = DoctorFactory(on_duty=False)
    question = QuickConsultFactory(department=doctor.department)
    client = api_client_for(doctor.user)
    response = client.post("/api/v1/quick-consults/next/")
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "not_allowed"
    assert "值班" in response.json()["detail"]  # the doctor's pages speak Chinese
    question.refresh_from_db()
    assert question.status == Consultation.Status.WAITING
    assert question.doctor_id is None


def test_a_roster_refuses_overlaps_long_shifts_and_doctors_of_other_tiers():
    doctor = DoctorFactory(on_duty=False)
    start = local(2030, 3, 4, 8)
    duty_shift_add(doctor=doctor, starts_at=start, ends_at=start + dt.timedelta(hours=12))
    with pytest.raises(DomainError) as overlap:
        duty_shift_add(
            doctor=doctor,
            starts_at=start + dt.timedelta(hours=11),
            ends_at=start + dt.timedelta(hours=14),
        )
    assert overlap.value.field == "starts_at"
    with pytest.raises(DomainError) as too_long:
        duty_shift_add(
            doctor=doctor,
            starts_at=start + dt.timedelta(days=2),
            ends_at=start + dt.timedelta(days=3, hours=1),
        )
    assert too_long.value.field == "ends_at"
    contracted = DoctorFactory(tier=DoctorProfile.Tier.CONTRACTED)
    with pytest.raises(DomainError) as wrong_tier:
        duty_shift_add(doctor=contracted, starts_at=start, ends_at=start + dt.timedelta(hours=8))
    assert wrong_tier.value.field == "doctor"
    # Back to back is not an overlap.
    duty_shift_add(
        doctor=doctor,
        starts_at=start + dt.timedelta(hours=12),
        ends_at=start + dt.timedelta(hours=20),
    )
    assert DutyShift.objects.filter(doctor=doctor).count() == 2


def test_a_waiting_quick_consult_past_the_full_time_promise_alerts_the_operators(
    django_capture_on_commit_callbacks,
):
    TierPolicy.objects.create(
        tier=DoctorProfile.Tier.FULL_TIME,
        fee_floor=Decimal("10"),
        fee_ceiling=Decimal("100"),
        response_minutes=5,
        description_zh="全职医生 5 分钟内接诊",
        description_en="A full-time doctor takes your question within 5 minutes",
    )
    operator = OperatorUserFactory()
    with time_machine.travel(local(2030, 3, 4, 9), tick=False):
        question = QuickConsultFactory()
    with time_machine.travel(local(2030, 3, 4, 9, 4), tick=False):
        assert consultations_alert_unclaimed() == 0
    with (
        time_machine.travel(local(2030, 3, 4, 9, 6), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert consultations_alert_unclaimed() == 1
        assert consultations_alert_unclaimed() == 0
    alert = Notification.objects.get(recipient=operator, kind="operations.alert")
    assert f"#{question.pk}" in str(alert.subject)


def expert_policy(floor="100", ceiling="150", minutes=120):
    return TierPolicy.objects.create(
        tier=DoctorProfile.Tier.EXPERT,
        fee_floor=Decimal(floor),
        fee_ceiling=Decimal(ceiling),
        response_minutes=minutes,
        description_zh="名医助理 2 小时内确认，否则全额退款",
        description_en="The expert's assistant confirms within 2 hours, or you are refunded",
    )


def test_a_booking_is_charged_within_the_tier_band_and_the_search_shows_that_fee(
    patient, api_client
):
    expert_policy(floor="100", ceiling="150")
    cheap = DoctorFactory(tier=DoctorProfile.Tier.EXPERT, fees={"video": "80.00"})
    dear = DoctorFactory(tier=DoctorProfile.Tier.EXPERT, fees={"video": "300.00"})
    full_time = DoctorFactory(fees={"video": "80.00"})
    fees = {}
    for doctor in (cheap, dear, full_time):
        slot = SlotFactory(doctor=doctor, mode="video")
        appointment = appointment_book(
            account=patient.account,
            patient_id=patient.pk,
            slot_id=slot.pk,
            mode="video",
            visit_type="follow_up",
            chief_complaint="复诊调整用药",
        )
        fees[doctor.pk] = appointment.fee
    assert fees == {cheap.pk: Decimal("100.00"), dear.pk: Decimal("150.00"), full_time.pk: 80}

    listed = api_client.get("/api/v1/doctors/", {"tier": "expert"}).json()["results"]
    assert {d["id"] for d in listed} == {cheap.pk, dear.pk}
    by_id = {d["id"]: d for d in listed}
    assert by_id[dear.pk]["services"] == [{"mode": "video", "fee": "150.00"}]
    assert by_id[dear.pk]["tier_response_minutes"] == 120
    detail = api_client.get(f"/api/v1/doctors/{full_time.pk}/").json()
    assert detail["tier"] == "full_time"
    assert detail["tier_response_minutes"] is None


def test_the_doctor_list_query_count_stays_constant_with_the_tier_band(
    api_client, django_assert_max_num_queries
):
    expert_policy()
    for _ in range(3):
        DoctorFactory(tier=DoctorProfile.Tier.EXPERT, fees={"video": "120.00"})
    with django_assert_max_num_queries(4) as few:
        api_client.get("/api/v1/doctors/", {"tier": "expert"})
    for _ in range(5):
        DoctorFactory(tier=DoctorProfile.Tier.EXPERT, fees={"video": "120.00"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api_client.get("/api/v1/doctors/", {"tier": "expert"})
    assert response.json()["count"] == 8


def test_an_unknown_tier_filter_is_a_400_with_the_field(api_client):
    response = api_client.get("/api/v1/doctors/", {"tier": "famous"})
    assert response.status_code == 400
    assert "tier" in response.json()["errors"]


def test_patients_read_each_tier_promise(api_client):
    expert_policy()
    response = api_client.get("/api/v1/doctor-tiers/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    [expert] = response.json()
    assert expert["tier"] == "expert"
    assert expert["response_minutes"] == 120
    assert expert["fee_floor"] == "100.00"


def test_the_doctor_search_page_filters_by_tier_in_both_languages(client):
    expert = DoctorFactory(tier=DoctorProfile.Tier.EXPERT, name="王芳")
    DoctorFactory(name="李全职")
    english = client.get("/doctors/", {"tier": "expert"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200
    text = english.content.decode()
    assert expert.name in text
    assert "李全职" not in text
    assert "Any tier" in text
    chinese = client.get("/doctors/", {"tier": "expert"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "专家" in chinese.content.decode()
    assert "全部级别" in chinese.content.decode()
    assert "李全职" not in chinese.content.decode()


def test_a_doctor_applying_with_a_fee_outside_the_tier_band_is_told_the_band():
    from hospital.doctors.services import doctor_apply
    from tests.accounts.factories import UserFactory
    from tests.hospital.factories import DepartmentFactory

    expert_policy(floor="100", ceiling="150")
    with pytest.raises(DomainError) as refused:
        doctor_apply(
            user=UserFactory(),
            name="张三",
            department_id=DepartmentFactory().pk,
            title=DoctorProfile.Title.CHIEF,
            tier=DoctorProfile.Tier.EXPERT,
            years_of_practice=20,
            services=[{"mode": "video", "fee": "500"}],
        )
    assert refused.value.field == "services"
    assert "150" in refused.value.message
    assert not DoctorProfile.objects.filter(name="张三").exists()
