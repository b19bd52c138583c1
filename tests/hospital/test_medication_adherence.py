"""Adherence (PDC and doses taken), refill reminders before a chronic supply runs out, and
follow-up reminders on the doctor's date. Time is frozen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from hospital.consultations.models import Consultation
from hospital.consultations.services.follow_up import follow_up_reminders_send
from hospital.prescriptions.schedule import services
from hospital.prescriptions.schedule.adherence import covered_days, patient_adherence
from hospital.prescriptions.schedule.models import MedicationDose
from notifications.models import Notification
from tests.hospital.medication_factories import local, schedule_for
from tests.hospital.record_factories import ConsultationFactory
from tests.hospital.review_factories import ApprovedPrescriptionFactory, DrugFactory

pytestmark = pytest.mark.django_db

D = MedicationDose.Status
DAY = dt.date(2030, 1, 1)


def _day(n: int) -> dt.date:
    return DAY + dt.timedelta(days=n)


def test_pdc_counts_overlapping_supplies_once_shifting_the_later_one():
    # 10 days from day 0 and 10 more delivered on day 5: the second starts on day 10.
    covered, counted = covered_days(
        [(_day(0), 10), (_day(5), 10)], window_start=_day(-10), window_end=_day(24)
    )
    assert (covered, counted) == (20, 25)  # counted from the first supply, days 0 to 24


def test_pdc_only_counts_days_inside_the_window():
    covered, counted = covered_days([(_day(0), 30)], window_start=_day(20), window_end=_day(29))
    assert (covered, counted) == (10, 10)
    assert covered_days([], window_start=_day(0), window_end=_day(9)) == (0, 0)


def test_patient_adherence_per_drug_and_overall():
    drug = DrugFactory()
    first = schedule_for(local(2030, 1, 1, 7), drug=drug, frequency="QD", duration_days=10)
    # A renewal arrives early, on day 5: the patient finishes the first pack before the next.
    schedule_for(
        local(2030, 1, 6, 7),
        prescription=ApprovedPrescriptionFactory(item=None, patient=first.patient),
        drug=drug,
        frequency="QD",
        duration_days=10,
    )
    other = DrugFactory()
    schedule_for(
        local(2030, 1, 1, 7),
        prescription=ApprovedPrescriptionFactory(item=None, patient=first.patient),
        drug=other,
        frequency="QD",
        duration_days=5,
    )
    account = first.patient.account
    # The first drug's doses of days 0-3 taken, day 4 skipped; the rest left to be missed.
    for dose in first.doses.order_by("due_at")[:5]:
        status = "skipped" if dose.due_at.day == 5 else "taken"
        with time_machine.travel(dose.due_at, tick=False):
            services.medication_dose_mark(account=account, dose_id=dose.pk, status=status)
    now = local(2030, 1, 25, 12)
    with time_machine.travel(now, tick=False):
        services.medication_doses_mark_missed()
        adherence = patient_adherence(patient_id=first.patient_id)
    by_drug = {d.drug_id: d for d in adherence.drugs}
    main = by_drug[drug.pk]
    assert (main.days_covered, main.days_counted) == (20, 25)
    assert main.pdc == Decimal("0.800")
    assert main.meets_line is True  # 80 % is on the line
    # 20 doses were due (10 + 10 from both deliveries' own times), 4 taken.
    assert (main.doses_taken, main.doses_due) == (4, 20)
    assert main.doses_taken_share == Decimal("0.200")
    short = by_drug[other.pk]
    assert (short.days_covered, short.days_counted) == (5, 25)
    assert short.meets_line is False
    assert adherence.pdc == Decimal("0.500")
    assert adherence.meets_line is False
    assert adherence.window_end == dt.date(2030, 1, 25)
    assert adherence.window_start == dt.date(2029, 12, 27)


def test_open_doses_do_not_count_yet():
    schedule = schedule_for(local(2030, 1, 1, 7), frequency="BID", duration_days=2)
    with time_machine.travel(local(2030, 1, 1, 9), tick=False):
        adherence = patient_adherence(patient_id=schedule.patient_id)
    assert adherence.doses_due == 0
    assert adherence.doses_taken_share is None


def _chronic(started):
    return schedule_for(started, frequency="QD", duration_days=28)


def test_a_chronic_supply_with_three_days_left_gets_one_refill_reminder():
    schedule = _chronic(local(2030, 1, 1, 10))  # runs out on 29 January at 10:00
    with time_machine.travel(local(2030, 1, 25, 9), tick=False):
        assert services.medication_refill_reminders_send() == 0  # four days left
    with time_machine.travel(local(2030, 1, 26, 7), tick=False):
        assert services.medication_refill_reminders_send() == 0  # not before the morning
    with time_machine.travel(local(2030, 1, 26, 9), tick=False):
        assert services.medication_refill_reminders_send() == 1
    with time_machine.travel(local(2030, 1, 27, 9), tick=False):
        services.medication_refill_reminders_send()
    reminders = Notification.objects.filter(kind="hospital.medication_refill")
    assert [n.dedupe_key for n in reminders] == [f"refill:{schedule.pk}"]
    assert reminders[0].recipient == schedule.patient.account
    assert reminders[0].link == f"/medications/#schedule-{schedule.pk}"
    assert "3" in reminders[0].body


def test_no_refill_reminder_for_a_short_supply_or_one_already_renewed():
    short = schedule_for(
        local(2030, 1, 1, 10),
        prescription=ApprovedPrescriptionFactory(
            item=None, supply_days=5, diagnosis_codes=["J06.9"], long_term_reason=""
        ),
        frequency="QD",
        duration_days=5,
    )
    assert not short.is_chronic
    renewed = _chronic(local(2030, 1, 1, 10))
    schedule_for(
        local(2030, 1, 25, 10),
        prescription=ApprovedPrescriptionFactory(item=None, patient=renewed.patient),
        drug=renewed.drug,
        frequency="QD",
        duration_days=28,
    )
    with time_machine.travel(local(2030, 1, 3, 9), tick=False):
        assert services.medication_refill_reminders_send() == 0
    with time_machine.travel(local(2030, 1, 26, 9), tick=False):
        assert services.medication_refill_reminders_send() == 0


def test_follow_up_reminder_on_the_doctors_date_links_to_the_same_doctor():
    consultation = ConsultationFactory(
        status=Consultation.Status.CLOSED, follow_up_on=dt.date(2030, 2, 1)
    )
    ConsultationFactory(status=Consultation.Status.CLOSED, follow_up_on=dt.date(2030, 2, 2))
    with time_machine.travel(local(2030, 1, 31, 12), tick=False):
        assert follow_up_reminders_send() == 0
    with time_machine.travel(local(2030, 2, 1, 9), tick=False):
        assert follow_up_reminders_send() == 1
        follow_up_reminders_send()
    reminder = Notification.objects.get(kind="hospital.follow_up_due")
    assert reminder.dedupe_key == f"followup:{consultation.pk}"
    assert reminder.recipient == consultation.patient.account
    assert reminder.link == f"/doctors/{consultation.doctor_id}/"
