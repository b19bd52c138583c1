import io

import pytest
from fhir.resources.R4B.bundle import Bundle

from accounts.demo import seed_demo_data as seed_accounts
from accounts.models import PatientProfile
from hospital.demo import seed_demo_data as seed_hospital
from hospital.records.fhir import patient_fhir_bundle
from hospital.records.models import MedicalDocument, Reading
from hospital.records.selectors import patient_record_summary

pytestmark = pytest.mark.django_db


def test_demo_record_is_seeded_once():
    seed_accounts(stdout=io.StringIO())
    seed_hospital(stdout=io.StringIO())
    patient = PatientProfile.objects.get(account__email="patient@xinglin.test", relationship="self")
    summary = patient_record_summary(patient=patient)
    assert {c.icd10_code for c in summary.chronic_conditions} == {"E11.9", "I10"}
    assert summary.active_allergies[0].drug_class == "penicillins"
    assert len(summary.current_medications) == 2
    readings = Reading.objects.filter(patient=patient)
    assert readings.exclude(flag="normal").exists()
    assert readings.filter(flag="normal").exists()
    document = MedicalDocument.objects.get(patient=patient)
    assert document.file.read(5) == b"%PDF-"
    Bundle.model_validate(patient_fhir_bundle(summary=summary))

    count = readings.count()
    seed_hospital(stdout=io.StringIO())
    assert Reading.objects.filter(patient=patient).count() == count
    assert MedicalDocument.objects.filter(patient=patient).count() == 1
    assert patient.conditions.count() == 2


def test_demo_reminders_are_set_through_the_services_once():
    from hospital.records.models import DeviceTestSchedule
    from notifications.models import Caregiver, ScheduledNotification, WechatSubscription

    seed_accounts(stdout=io.StringIO())
    seed_hospital(stdout=io.StringIO())
    seed_hospital(stdout=io.StringIO())
    patient = PatientProfile.objects.get(account__email="patient@xinglin.test", relationship="self")
    (schedule,) = DeviceTestSchedule.objects.filter(patient=patient)
    assert (schedule.kind, schedule.times_of_day) == ("glucose_fasting", ["07:00"])
    assert ScheduledNotification.objects.filter(
        dedupe_key__startswith=f"device-test:{schedule.pk}:"
    ).exists()
    assert WechatSubscription.objects.filter(user=patient.account, mode="long_term").count() == 2
    (caregiver,) = Caregiver.objects.filter(account=patient.account)
    assert caregiver.family_member.real_name == "王丽"
    assert "hospital.device_reading_out_of_range" in caregiver.kinds
