"""The patient's medicines page (today's doses with taken / skip / snooze, times, adherence,
refill), the treating doctor's adherence view, and the prescribing form's important-dose box."""

from __future__ import annotations

import pytest
import time_machine

from hospital.prescriptions.models import PrescriptionItem
from hospital.prescriptions.schedule.models import MedicationDose
from tests.accounts.factories import OperatorUserFactory, PatientUserFactory, activate_totp
from tests.hospital.factories import DoctorFactory
from tests.hospital.medication_factories import local, schedule_for
from tests.hospital.prescription_factories import PrescribingConsultationFactory, load_formulary

pytestmark = pytest.mark.django_db

D = MedicationDose.Status
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_todays_doses_with_buttons_in_both_languages(client):
    schedule = schedule_for(local(2030, 1, 6, 7), frequency="BID", is_important=True)
    with time_machine.travel(local(2030, 1, 7, 9), tick=False):
        client.force_login(schedule.patient.account)
        english = client.get("/medications/", **EN).content.decode()
        chinese = client.get("/medications/", **ZH).content.decode()
    assert english.count('data-testid="dose"') == 2
    for text in ("08:00", "20:00", "Taken", "Snooze", "Important"):
        assert text in english
    assert "My medicines" in english
    for text in ("我的用药", "已服用", "稍后提醒", "重要"):
        assert text in chinese
    assert "Snooze" not in chinese


def test_taken_skip_and_snooze_from_the_page(client):
    schedule = schedule_for(local(2030, 1, 6, 7), frequency="TID", duration_days=3)
    morning, noon, evening = schedule.doses.filter(due_at__date="2030-01-07").order_by("due_at")
    with time_machine.travel(local(2030, 1, 7, 12, 50), tick=False):
        client.force_login(schedule.patient.account)
        assert client.post(f"/medications/doses/{morning.pk}/taken/").status_code == 302
        client.post(f"/medications/doses/{noon.pk}/snooze/", {"minutes": "30"})
        too_early = client.post(f"/medications/doses/{evening.pk}/skipped/", follow=True, **EN)
        page = client.get("/medications/?date=2030-01-07", **EN).content.decode()
        again = client.post(f"/medications/doses/{morning.pk}/skipped/", follow=True, **EN)
    for dose in (morning, noon, evening):
        dose.refresh_from_db()
    assert morning.status == D.TAKEN
    assert noon.snoozed_until == local(2030, 1, 7, 13, 20)
    assert noon.due_at == local(2030, 1, 7, 13)
    assert evening.status == D.SCHEDULED  # 19:00 opens at 17:00
    assert "can be marked from 17:00" in too_early.content.decode()
    assert "snoozed until 13:20" in page
    assert "already marked" in again.content.decode()
    morning.refresh_from_db()
    assert morning.status == D.TAKEN


def test_another_persons_dose_or_schedule_is_404_on_the_page(client):
    schedule = schedule_for(local(2030, 1, 6, 7))
    dose = schedule.doses.first()
    with time_machine.travel(local(2030, 1, 6, 8), tick=False):
        client.force_login(PatientUserFactory())
        assert client.post(f"/medications/doses/{dose.pk}/taken/").status_code == 404
        response = client.post(f"/medications/schedules/{schedule.pk}/times/", {"times": ["09:00"]})
    assert response.status_code == 404
    dose.refresh_from_db()
    assert dose.status == D.SCHEDULED


def test_times_changed_from_the_page(client):
    schedule = schedule_for(local(2030, 1, 6, 7), frequency="QD", duration_days=3)
    with time_machine.travel(local(2030, 1, 6, 9), tick=False):
        client.force_login(schedule.patient.account)
        client.post(f"/medications/schedules/{schedule.pk}/times/", {"times": ["07:15"]})
    schedule.refresh_from_db()
    assert schedule.times_of_day == ["07:15"]
    assert schedule.doses.filter(due_at=local(2030, 1, 7, 7, 15)).exists()
    assert schedule.doses.filter(due_at=local(2030, 1, 6, 8)).exists()  # past, kept


def test_refill_banner_offers_the_renewal_and_adherence_is_shown(client):
    schedule = schedule_for(local(2030, 1, 1, 10), frequency="QD", duration_days=28)
    with time_machine.travel(local(2030, 1, 26, 9), tick=False):
        client.force_login(schedule.patient.account)
        page = client.get("/medications/", **EN).content.decode()
    assert 'data-testid="refill"' in page
    assert f"/prescriptions/{schedule.prescription_item.prescription_id}/renewal/" in page
    assert 'data-testid="adherence-pdc"' in page


def test_the_treating_doctor_sees_adherence_and_others_do_not(client):
    schedule = schedule_for(local(2030, 1, 1, 10), frequency="QD", duration_days=28)
    doctor = schedule.prescription_item.prescription.doctor.user
    activate_totp(doctor)
    url = f"/doctor/patients/{schedule.patient_id}/adherence/"
    with time_machine.travel(local(2030, 1, 10, 12), tick=False):
        client.force_login(doctor)
        page = client.get(url, **EN)
        assert page.status_code == 200
        assert "100 %" in page.content.decode()  # every day so far covered
        stranger = DoctorFactory().user
        activate_totp(stranger)
        client.force_login(stranger)
        assert client.get(url).status_code == 404
        client.force_login(schedule.patient.account)
        assert client.get(url).status_code == 404


def test_prescribing_form_marks_an_item_important(client):
    load_formulary()
    consultation = PrescribingConsultationFactory()
    activate_totp(consultation.doctor.user)
    client.force_login(consultation.doctor.user)
    form = client.get(f"/consultations/{consultation.pk}/prescriptions/new/", **EN)
    assert 'name="is_important_0"' in form.content.decode()
    client.post(
        f"/consultations/{consultation.pk}/prescriptions/new/",
        {
            "diagnosis_codes": "I10",
            "drug_code_0": "amlodipine-5mg-tab",
            "dose_0": "5",
            "dose_unit_0": "mg",
            "route_0": "oral",
            "frequency_0": "QD",
            "duration_days_0": "7",
            "quantity_packs_0": "1",
            "instructions_0": "",
            "is_important_0": "1",
        },
    )
    assert PrescriptionItem.objects.get(prescription__consultation=consultation).is_important


def test_operators_see_schedules_and_doses_in_the_admin(client):
    schedule = schedule_for(local(2030, 1, 6, 7), frequency="BID")
    operator = OperatorUserFactory()
    activate_totp(operator)
    client.force_login(operator)
    listing = client.get("/admin/hospital/medicationschedule/?q=" + schedule.drug.code)
    assert listing.status_code == 200
    assert schedule.dose_text in listing.content.decode()
    assert (
        client.get(f"/admin/hospital/medicationschedule/{schedule.pk}/change/").status_code == 200
    )
    assert client.get("/admin/hospital/medicationdose/?status=scheduled").status_code == 200
