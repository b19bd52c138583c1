"""What patients and doctors see of the hospital's pages: doctor cards, booking by day, chat
bubbles, tables that stack into labelled cards and a prescribing form that fits a phone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hospital.booking import selectors
from hospital.consultations.services import chat, visits
from hospital.doctors.models import DoctorProfile
from tests.accounts.factories import activate_totp
from tests.hospital.consultation_factories import (
    ConfirmedAppointmentFactory,
    OpenConsultationFactory,
)
from tests.hospital.factories import DoctorFactory, SlotFactory

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _cards(html: str) -> list[str]:
    return re.findall(r'<li class="card doctor-card" data-testid="doctor">(.*?)</li>', html, re.S)


def test_doctor_cards_show_initials_title_hospital_department_and_rating(client):
    doctor = DoctorFactory(
        name="李明", title=DoctorProfile.Title.CHIEF, tier=DoctorProfile.Tier.EXPERT
    )
    DoctorProfile.objects.filter(pk=doctor.pk).update(rating="4.8", rating_count=126)
    html = client.get("/doctors/", **ZH).content.decode()
    [card] = _cards(html)
    assert re.search(r'class="avatar"[^>]*data-testid="doctor-initials">李</span>', card)
    assert "<img" not in card
    assert "主任医师" in card
    assert '<p class="small" data-testid="doctor-hospital">杏林互联网医院</p>' in card
    assert f">{doctor.department.name}</span>" in card
    assert "★ 4.8" in card
    assert "(126)" in card


def test_a_latin_name_gives_two_initials_and_a_photo_replaces_them(client):
    assert DoctorProfile(name="Anna Lee Chen").initials == "AL"
    doctor = DoctorFactory(name="Anna Lee")
    html = client.get("/doctors/", **EN).content.decode()
    assert 'data-testid="doctor-initials">AL</span>' in _cards(html)[0]
    doctor.photo = f"doctors/{doctor.pk}/photo.jpg"
    doctor.save(update_fields=["photo"])
    card = _cards(client.get("/doctors/", **EN).content.decode())[0]
    assert f'src="/media/doctors/{doctor.pk}/photo.jpg"' in card
    assert "doctor-initials" not in card
    detail = client.get(f"/doctors/{doctor.pk}/", **EN).content.decode()
    assert 'class="avatar large"' in detail
    assert "Attending physician" in detail


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def test_booking_lists_each_day_once_with_its_times_under_it(client, patient):
    doctor = DoctorFactory()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    later = tomorrow + dt.timedelta(days=2)
    for start in [_at(later, 14), _at(tomorrow, 9), _at(tomorrow, 9, 30)]:
        SlotFactory(doctor=doctor, starts_at=start, ends_at=start + dt.timedelta(minutes=15))
    client.force_login(patient.account)
    html = client.get(f"/doctors/{doctor.pk}/", **ZH).content.decode()
    days = re.findall(
        r'<details class="slot-day" data-testid="slot-day" data-day="([\d-]+)"( open)?>'
        r"(.*?)</details>",
        html,
        re.S,
    )
    assert [day for day, _open, _body in days] == [tomorrow.isoformat(), later.isoformat()]
    assert [bool(is_open) for _day, is_open, _body in days] == [True, False]
    times = [re.findall(r"<span>(\d\d:\d\d) ", body) for _day, _open, body in days]
    assert times == [["09:00", "09:30"], ["14:00"]]
    assert html.count('type="radio" name="slot"') == 3
    assert "2 个时段" in html


def test_the_day_grouping_is_one_selector_in_local_days(doctor):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    # 23:45 local is still that day, whatever UTC says.
    for start in [_at(tomorrow, 23, 45), _at(tomorrow, 8)]:
        SlotFactory(doctor=doctor, starts_at=start, ends_at=start + dt.timedelta(minutes=15))
    [day] = selectors.doctor_free_slot_days(doctor=doctor)
    assert day.day == tomorrow
    assert [timezone.localtime(s.starts_at).time() for s in day.slots] == [
        dt.time(8),
        dt.time(23, 45),
    ]


def test_booking_post_from_a_later_day_is_unchanged(client, patient):
    doctor = DoctorFactory()
    day = timezone.localdate() + dt.timedelta(days=3)
    slot = SlotFactory(doctor=doctor, starts_at=_at(day, 10), ends_at=_at(day, 10, 15))
    SlotFactory(doctor=doctor, starts_at=_at(day - dt.timedelta(days=1), 10))
    client.force_login(patient.account)
    response = client.post(
        f"/doctors/{doctor.pk}/",
        {"patient": patient.pk, "slot": slot.pk, "visit_type": "follow_up", "chief_complaint": ""},
    )
    # Refused (no reason given): the chosen day is the open one, its time still checked.
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(rf'data-day="{day.isoformat()}" open>', html)
    assert f'value="{slot.pk}" required checked>' in html


def _messages(html: str) -> dict[str, str]:
    found = re.findall(r'<li class="chat-message (\w+)"[^>]*>\s*<p>(.*?)</p>', html, re.S)
    return {text: side for side, text in found}


def test_chat_bubbles_are_own_and_other_side_for_each_viewer(client):
    consultation = OpenConsultationFactory()
    patient_user, doctor_user = consultation.patient.account, consultation.doctor.user
    chat.consultation_post_message(user=patient_user, consultation_id=consultation.pk, text="头晕")
    chat.consultation_post_message(user=doctor_user, consultation_id=consultation.pk, text="量血压")
    visits.consultation_system_message_add(consultation, "处方已开具")
    client.force_login(patient_user)
    seen_by_patient = _messages(client.get(f"/consultations/{consultation.pk}/").content.decode())
    assert seen_by_patient == {"头晕": "mine", "量血压": "theirs", "处方已开具": "system"}
    activate_totp(doctor_user)
    client.force_login(doctor_user)
    seen_by_doctor = _messages(client.get(f"/consultations/{consultation.pk}/").content.decode())
    assert seen_by_doctor == {"头晕": "theirs", "量血压": "mine", "处方已开具": "system"}


@pytest.mark.parametrize(
    ("headers", "when", "status"), [(ZH, "时间", "状态"), (EN, "When", "Status")]
)
def test_appointment_rows_carry_labels_in_the_readers_language(client, headers, when, status):
    appointment = ConfirmedAppointmentFactory()
    client.force_login(appointment.patient.account)
    html = client.get("/appointments/", **headers).content.decode()
    assert '<table class="stack-table">' in html
    assert f'<td data-label="{when}">' in html
    assert f'<td data-label="{status}"><span class="badge status-confirmed"' in html


def test_the_health_record_tables_stack_with_labels(client, patient):
    client.force_login(patient.account)
    html = client.get(f"/records/{patient.pk}/", **ZH).content.decode()
    assert html.count('class="stack-table"') >= 2


def test_the_prescribing_form_is_rows_of_labelled_fields_not_a_wide_table(client):
    consultation = OpenConsultationFactory()
    activate_totp(consultation.doctor.user)
    client.force_login(consultation.doctor.user)
    html = client.get(f"/consultations/{consultation.pk}/prescriptions/new/", **ZH).content.decode()
    form = html[html.index('id="prescription-form"') :]
    assert "<table" not in form[: form.index("</form>")]
    assert 'class="prescription-item"' in form
    assert re.search(r"<label>单次剂量 <input name=\"dose_0\"", form)


def test_the_doctor_list_reads_cards_in_the_same_queries_for_more_doctors(
    client, django_assert_num_queries
):
    DoctorFactory()
    with CaptureQueriesContext(connection) as one:
        client.get("/doctors/")
    DoctorFactory.create_batch(3)
    with django_assert_num_queries(len(one.captured_queries)):
        html = client.get("/doctors/").content.decode()
    assert html.count('data-testid="doctor-hospital"') == 4
