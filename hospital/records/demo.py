"""Demo health record of the demo patient: type 2 diabetes and hypertension, a penicillin
allergy, two medicines, six weeks of readings (a few out of range) and the outpatient record of
the prior diagnosis as a small PDF.

Idempotent: each part is created only when the record has none of it yet. Written directly
(not through the services) so the demo does not fill the patient's access log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import PatientProfile
from core.pdf import PdfRenderingUnavailable, html_to_pdf, plain_text_pdf
from hospital.doctors.models import DoctorProfile
from hospital.icd10 import icd10_description
from hospital.records.access import treating_doctor_user_ids
from hospital.records.models import (
    Allergy,
    Condition,
    DeviceTestSchedule,
    MedicalDocument,
    Medication,
    Reading,
    RecordSource,
)
from hospital.records.services.device_tests import device_test_schedule_set
from hospital.records.services.readings import reading_flag
from notifications.kinds import KINDS
from notifications.models import Caregiver, WechatSubscription
from notifications.services import (
    caregiver_set,
    notification_settings_update,
    wechat_subscription_grant,
)

DEMO_PATIENT_EMAIL = "patient@xinglin.test"
DEMO_DOCTOR_EMAIL = "doctor@xinglin.test"
DEMO_HOSPITAL = "首都医科大学附属北京朝阳医院"

# (days ago, fasting glucose, systolic, diastolic); every third day over six weeks.
READINGS = [
    (42, "8.6", 148, 94),
    (39, "8.1", 145, 92),
    (36, "7.8", 142, 90),
    (33, "7.4", 138, 88),
    (30, "7.2", 136, 86),
    (27, "6.9", 134, 85),
    (24, "7.6", 139, 88),
    (21, "6.8", 132, 84),
    (18, "6.6", 130, 82),
    (15, "9.3", 152, 96),
    (12, "6.7", 131, 83),
    (9, "6.4", 128, 82),
    (6, "6.5", 129, 80),
    (3, "3.7", 126, 78),
    (1, "6.3", 127, 80),
]
WEIGHTS = [(42, "78.4"), (35, "78.0"), (28, "77.6"), (21, "77.5"), (14, "77.1"), (7, "76.8")]

DOCUMENT_HTML = """<html><head><meta charset="utf-8"><style>
body {{ font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; font-size: 11pt; }}
h1 {{ font-size: 16pt; text-align: center; }} td {{ padding: 2pt 8pt; }}
</style></head><body>
<h1>{hospital}<br>门诊病历</h1>
<table>
<tr><td>姓名：{name}</td><td>性别：{sex}</td><td>年龄：{age}岁</td></tr>
<tr><td>科室：内分泌科</td><td>就诊日期：{date}</td><td>门诊号：MZ{number}</td></tr>
</table>
<p><b>主诉：</b>口干、多饮、多尿3个月，发现血压升高1个月。</p>
<p><b>现病史：</b>患者3个月前出现口干、多饮、多尿，体重下降约3公斤。空腹血糖9.8 mmol/L，
糖化血红蛋白8.1%。1个月前体检发现血压150/95 mmHg，复测仍偏高。</p>
<p><b>过敏史：</b>青霉素过敏（皮疹）。</p>
<p><b>体格检查：</b>BP 152/96 mmHg，HR 78次/分，身高172 cm，体重80 kg。</p>
<p><b>诊断：</b>1. 2型糖尿病（E11.9） 2. 原发性高血压（I10）</p>
<p><b>处理：</b>二甲双胍缓释片 0.5 g 每日两次；苯磺酸氨氯地平片 5 mg 每日一次；
糖尿病饮食，规律运动，监测血糖血压，1个月后复诊。</p>
<p style="text-align:right">医师：赵明（签名）</p>
</body></html>"""


def _document_pdf(patient: PatientProfile, day: dt.date) -> bytes:
    html = DOCUMENT_HTML.format(
        hospital=DEMO_HOSPITAL,
        name=patient.real_name,
        sex=patient.get_sex_display(),
        age=patient.age_on(day),
        date=day.isoformat(),
        number=f"{patient.pk:08d}",
    )
    try:
        return html_to_pdf(html)
    except PdfRenderingUnavailable:
        # A machine without Pango still gets a readable demo document.
        return plain_text_pdf(
            [
                "Outpatient record (demo)",
                f"Patient #{patient.pk}, {day.isoformat()}",
                "Diagnoses: E11.9 type 2 diabetes mellitus; I10 essential hypertension",
            ]
        )


def _at(days_ago: int, hour: int) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _reading(
    patient: PatientProfile,
    recorder: Any,
    kind: str,
    at: dt.datetime,
    value: Any,
    value2: Any = None,
) -> Reading:
    number = Decimal(str(value))
    second = Decimal(str(value2)) if value2 is not None else None
    return Reading(
        patient=patient,
        kind=kind,
        value=number,
        value2=second,
        unit=Reading.UNITS[kind],
        measured_at=at,
        flag=reading_flag(kind=kind, value=number, value2=second),
        source=RecordSource.SELF_REPORTED,
        recorded_by=recorder,
    )


@transaction.atomic
def seed_record_demo(*, stdout: Any) -> None:
    patient = PatientProfile.objects.filter(
        account__email=DEMO_PATIENT_EMAIL, relationship=PatientProfile.Relationship.SELF
    ).first()
    if patient is None:
        stdout.write("  skipped the demo health record: demo patient missing")
        return
    account = patient.account
    doctor = DoctorProfile.objects.filter(user__email=DEMO_DOCTOR_EMAIL).first()
    diagnosed_on = timezone.localdate() - dt.timedelta(days=400)

    for code in ("E11.9", "I10"):
        Condition.objects.get_or_create(
            patient=patient,
            icd10_code=code,
            defaults={
                "description": icd10_description(code),
                "verification_status": (
                    Condition.Verification.CONFIRMED
                    if doctor
                    else Condition.Verification.UNCONFIRMED
                ),
                "is_chronic": True,
                "onset_date": diagnosed_on,
                "source": RecordSource.CLINICIAN if doctor else RecordSource.SELF_REPORTED,
                "recorded_by": doctor.user if doctor else account,
            },
        )
    Allergy.objects.get_or_create(
        patient=patient,
        drug_class=Allergy.DrugClass.PENICILLINS,
        defaults={
            "substance": "青霉素",
            "category": Allergy.Category.DRUG,
            "reaction": "全身皮疹、瘙痒",
            "severity": Allergy.Severity.SEVERE,
            "noted_on": dt.date(2010, 6, 1),
            "source": RecordSource.SELF_REPORTED,
            "recorded_by": account,
        },
    )
    for name, dose, atc, ingredient in (
        ("二甲双胍缓释片", "0.5 g 每日两次", "A10BA02", "metformin"),
        ("苯磺酸氨氯地平片", "5 mg 每日一次", "C08CA01", "amlodipine"),
    ):
        Medication.objects.get_or_create(
            patient=patient,
            name=name,
            source=Medication.Source.SELF_REPORTED,
            defaults={
                "dose_text": dose,
                "start_date": diagnosed_on,
                "atc_code": atc,
                "ingredients": [ingredient],
                "recorded_by": account,
            },
        )

    if not Reading.objects.filter(patient=patient).exists():
        readings = []
        for days_ago, glucose, systolic, diastolic in READINGS:
            readings.append(
                _reading(patient, account, Reading.Kind.GLUCOSE_FASTING, _at(days_ago, 7), glucose)
            )
            readings.append(
                _reading(
                    patient,
                    account,
                    Reading.Kind.BLOOD_PRESSURE,
                    _at(days_ago, 8),
                    systolic,
                    diastolic,
                )
            )
        readings += [
            _reading(patient, account, Reading.Kind.WEIGHT, _at(days_ago, 7), weight)
            for days_ago, weight in WEIGHTS
        ]
        readings.append(_reading(patient, account, Reading.Kind.HEIGHT, _at(42, 7), 172))
        Reading.objects.bulk_create(readings)
        flagged = sum(r.flag != Reading.Flag.NORMAL for r in readings)
        stdout.write(f"  created {len(readings)} demo readings ({flagged} out of range)")
    else:
        stdout.write("  kept the demo readings")

    if not MedicalDocument.objects.filter(patient=patient).exists():
        content = _document_pdf(patient, diagnosed_on)
        document = MedicalDocument(
            patient=patient,
            kind=MedicalDocument.Kind.OUTPATIENT_RECORD,
            title="内分泌科门诊病历",
            hospital_name=DEMO_HOSPITAL,
            document_date=diagnosed_on,
            diagnosis_codes=["E11.9", "I10"],
            content_type="application/pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            original_name="门诊病历.pdf",
            source=RecordSource.SELF_REPORTED,
            recorded_by=account,
        )
        document.file.save("upload", ContentFile(content), save=False)
        document.save()
        stdout.write(f"  created the demo outpatient record ({len(content) // 1024} KB PDF)")
    else:
        stdout.write("  kept the demo documents")


# The demo patient is reached by WeChat for these (a long-term subscription: medical services)
# and their spouse, as caregiver, gets copies of these by SMS.
DEMO_WECHAT_KINDS = ("hospital.appointment_reminder", "hospital.medication_dose")
DEMO_CAREGIVER_KINDS = ("hospital.device_reading_out_of_range", "hospital.medication_refill")


def seed_reminder_demo(*, stdout: Any) -> None:
    """Through the services: the treating doctor's fasting-glucose test schedule, WeChat
    reminders and a caregiver. Each is set once; a second seeding keeps what is there. Run
    once every domain's notice kinds are registered (hospital.demo)."""
    patient = PatientProfile.objects.filter(
        account__email=DEMO_PATIENT_EMAIL, relationship=PatientProfile.Relationship.SELF
    ).first()
    if patient is None:
        return
    doctor = DoctorProfile.objects.filter(user__email=DEMO_DOCTOR_EMAIL).first()
    account = patient.account
    if (
        doctor is not None
        and not DeviceTestSchedule.objects.filter(patient=patient).exists()
        and doctor.user_id in treating_doctor_user_ids(patient_id=patient.pk)
    ):
        device_test_schedule_set(
            doctor_user=doctor.user,
            patient_id=patient.pk,
            kind=Reading.Kind.GLUCOSE_FASTING,
            times=["07:00"],
            note="早餐前、服药前",
        )
        stdout.write("  the demo doctor asked for fasting glucose daily at 07:00")
    wechat_kinds = [kind for kind in DEMO_WECHAT_KINDS if kind in KINDS]
    if not WechatSubscription.objects.filter(user=account).exists():
        notification_settings_update(
            user=account,
            phone=account_phone(patient),
            wechat_openid="o-demo-zhangwei",
            preferences=[{"kind": k, "channel": "wechat", "enabled": True} for k in wechat_kinds],
        )
        wechat_subscription_grant(user=account, kinds=wechat_kinds, mode="long_term")
        stdout.write("  the demo patient subscribed to WeChat reminders")
    spouse = PatientProfile.objects.filter(
        account=account, relationship=PatientProfile.Relationship.SPOUSE, is_archived=False
    ).first()
    if (
        spouse is not None
        and spouse.phone
        and not Caregiver.objects.filter(account=account).exists()
    ):
        caregiver_set(
            account=account,
            family_member_id=spouse.pk,
            kinds=[kind for kind in DEMO_CAREGIVER_KINDS if kind in KINDS],
        )
        stdout.write(f"  {spouse.real_name} gets copies of device alerts and refill reminders")


def account_phone(patient: PatientProfile) -> str:
    return str(patient.phone or "")
