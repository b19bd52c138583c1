"""Demo of care beyond one doctor: a partner hospital with two departments (one holding clinic
sessions in our schedule), an open quick consult of the demo patient with a gastroenterologist,
an open 会诊 in it with the endocrinology expert (accepted), and a referral with its letter.

Idempotent: everything is looked up first; the consultation, 会诊 and referral are made through
the same services the pages and API call.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import PatientProfile
from hospital.consultations.demo import DEMO_PATIENT_EMAIL
from hospital.consultations.models import (
    Consultation,
    MdtConsultation,
    PartnerDepartment,
    PartnerHospital,
    Referral,
)
from hospital.consultations.services.mdt import mdt_accept, mdt_invite
from hospital.consultations.services.referrals import referral_create
from hospital.consultations.services.visits import consultation_claim, consultation_request_quick
from hospital.doctors.models import Department, DoctorProfile

# The demo doctor keeps their single completed visit; this consult is with a colleague.
TREATING_DOCTOR_EMAIL = "doctor4@xinglin.test"  # 刘洋, gastroenterology, full-time
SPECIALIST_EMAIL = "doctor2@xinglin.test"  # 王芳, endocrinology expert
PARTNER_CLINIC_DOCTOR_EMAIL = "doctor3@xinglin.test"  # 陈静, respiratory, contracted

PARTNER_HOSPITAL = {
    "name": "杭州市第一人民医院",
    "level": PartnerHospital.Level.TERTIARY,
    "city": "杭州",
    "address": "浙江省杭州市上城区浣纱路261号",
    "phone": "0571-56006000",
}
COMPLAINT = "反酸、烧心两个月，夜间咳嗽明显；有2型糖尿病，服二甲双胍后胃部不适。"


def _partner_departments() -> dict[str, PartnerDepartment]:
    hospital, _created = PartnerHospital.objects.get_or_create(
        name=PARTNER_HOSPITAL["name"], defaults=PARTNER_HOSPITAL
    )
    clinic_doctor = DoctorProfile.objects.filter(user__email=PARTNER_CLINIC_DOCTOR_EMAIL).first()
    departments = {}
    for code, name, doctor in (
        ("respiratory", "呼吸与危重症医学科", clinic_doctor),
        ("endocrinology", "内分泌科", None),
    ):
        departments[code], _created = PartnerDepartment.objects.get_or_create(
            hospital=hospital,
            name=name,
            defaults={
                "specialty": Department.objects.filter(code=code).first(),
                "clinic_doctor": doctor,
            },
        )
    return departments


def _open_consultation(doctor: DoctorProfile, patient: PatientProfile) -> Consultation:
    existing = Consultation.objects.filter(
        patient=patient,
        doctor=doctor,
        kind=Consultation.Kind.QUICK,
        status=Consultation.Status.OPEN,
        chief_complaint=COMPLAINT,
    ).first()
    if existing is not None:
        return existing
    consultation = consultation_request_quick(
        account=patient.account,
        patient_id=patient.pk,
        department_id=doctor.department_id,
        chief_complaint=COMPLAINT,
    )
    return consultation_claim(doctor_user=doctor.user, consultation_id=consultation.pk)


@transaction.atomic
def seed_care_team_demo(*, stdout: Any) -> None:
    departments = _partner_departments()
    stdout.write(
        f"  partner hospital {PARTNER_HOSPITAL['name']} with {len(departments)} departments"
    )
    doctor = DoctorProfile.objects.filter(user__email=TREATING_DOCTOR_EMAIL).first()
    specialist = DoctorProfile.objects.filter(user__email=SPECIALIST_EMAIL).first()
    patient = PatientProfile.objects.filter(
        account__email=DEMO_PATIENT_EMAIL, relationship=PatientProfile.Relationship.SELF
    ).first()
    if doctor is None or specialist is None or patient is None:
        stdout.write("  skipped the demo 会诊 and referral: demo doctors or patient missing")
        return
    consultation = _open_consultation(doctor, patient)
    if not MdtConsultation.objects.filter(consultation=consultation).exists():
        mdt = mdt_invite(
            doctor_user=doctor.user,
            consultation_id=consultation.pk,
            doctor_ids=[specialist.pk],
            question="患者服二甲双胍后胃肠道症状明显，空腹血糖9左右，是否换用缓释片或其他降糖药？",
            access_hours=72,
        )
        mdt_accept(doctor_user=specialist.user, mdt_id=mdt.pk)
        stdout.write(f"  created an open 会诊 #{mdt.pk} with {specialist.name} (accepted)")
    if not Referral.objects.filter(consultation=consultation).exists():
        referral = referral_create(
            doctor_user=doctor.user,
            consultation_id=consultation.pk,
            partner_department_id=departments["respiratory"].pk,
            reason="慢性咳嗽两个月，考虑胃食管反流相关，需线下肺功能检查及胸部CT排除肺部疾病。",
            clinical_summary="2型糖尿病、高血压多年，服用二甲双胍、氨氯地平；无吸烟史。已予抑酸治疗。",
        )
        stdout.write(f"  created referral {referral.letter_number} with its letter")
