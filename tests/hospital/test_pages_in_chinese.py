"""The hospital pages as a browser asking for Simplified Chinese sees them."""

import html as html_lib
import io
import re

import pytest
from django.core.management import call_command

from accounts.models import User
from hospital.consultations.models import Consultation
from hospital.doctors.models import DoctorProfile
from hospital.prescriptions.labels import finding_kind_label, severity_label
from hospital.prescriptions.models import Prescription
from tests.hospital.factories import DepartmentFactory, DoctorFactory, SlotFactory

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def chief(db):
    department = DepartmentFactory(code="respiratory", name_zh="呼吸内科", name_en="Respiratory")
    return DoctorFactory(department=department, title=DoctorProfile.Title.CHIEF)


def test_doctor_list_in_chinese(client, chief):
    page = client.get("/doctors/", **ZH).content.decode()
    assert "找医生" in page
    assert "Find a doctor" not in page
    assert "主任医师" in page
    assert "Chief physician" not in page
    # The filter form: its label and its "any" choice.
    assert "问诊方式" in page
    assert "不限问诊方式" in page
    assert "Any mode" not in page
    # Consultation modes have their own context: "Phone" is a mode here, not a phone number.
    assert "图文问诊 ¥30.00" in page
    assert "视频问诊 ¥80.00" in page
    assert "电话问诊 ¥60.00" in page
    assert "手机号" not in page


def test_doctor_page_in_chinese(client, chief):
    SlotFactory(doctor=chief, mode="phone")
    page = client.get(f"/doctors/{chief.pk}/", **ZH).content.decode()
    assert "呼吸内科" in page
    assert "主任医师" in page
    assert "全职坐诊医生" in page
    assert "电话问诊 ¥60.00" in page
    # The free slot names its mode too.
    assert page.count("电话问诊") >= 2
    assert "手机号" not in page
    assert "Phone" not in page


def test_symptom_helper_in_chinese(client, chief):
    page = client.get("/doctors/symptoms/", {"symptoms": "咳嗽两天"}, **ZH).content.decode()
    assert "呼吸内科" in page
    assert "您提到了：咳嗽" in page
    assert "You mentioned" not in page
    assert "本工具仅帮助您选择合适的科室，不能作为诊断" in page
    assert "not a diagnosis" not in page


def test_symptom_helper_falls_back_to_general_practice_in_chinese(client):
    DoctorFactory(department=DepartmentFactory(code="general", name_zh="全科", name_en="General"))
    page = client.get("/doctors/symptoms/", {"symptoms": "说不清楚"}, **ZH).content.decode()
    assert "未匹配到具体科室，建议先咨询全科医生。" in page
    assert "No specific department matched" not in page


def test_english_keeps_the_english_mode_labels(client, chief):
    page = client.get(f"/doctors/{chief.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Phone ¥60.00" in page
    assert "Chief physician" in page
    assert "电话问诊" not in page


# The pages of the demo, as its patient and doctor see them: nothing in English on a Chinese page
# but names and codes, and no Chinese system text on an English one.

CJK = re.compile(r"[\u4e00-\u9fff]")


def visible_text(response) -> str:
    assert response.status_code == 200, response.status_code
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())
    patient_account = User.objects.get(email="patient@xinglin.test")
    doctor_user = User.objects.get(email="doctor@xinglin.test")
    consultation = Consultation.objects.filter(
        doctor__user=doctor_user, status="closed", diagnoses__code="E11.9"
    ).first()
    return {
        "patient": patient_account,
        "profile": consultation.patient,
        "doctor": doctor_user,
        "consultation": consultation,
    }


def test_demo_record_and_consultation_in_chinese(client, demo):
    client.force_login(demo["patient"])
    profile = demo["profile"]
    record = visible_text(client.get(f"/records/{profile.pk}/", **ZH))
    assert "2型糖尿病" in record
    pk = demo["consultation"].pk
    consultation = visible_text(client.get(f"/consultations/{pk}/", **ZH))
    consultation += visible_text(client.get(f"/consultations/{pk}/summary/", **ZH))
    assert "2型糖尿病不伴有并发症" in consultation
    assert "特发性（原发性）高血压" in consultation
    assert "问诊已开始。" in consultation
    for english in [
        "Type 2 diabetes mellitus",
        "Essential (primary) hypertension",
        "The consultation has started.",
        "The consultation has ended.",
    ]:
        assert english not in record + consultation, english
    log = visible_text(client.get(f"/records/{profile.pk}/access-log/", **ZH))
    for code in ["medicaldocument", "clinicalprofile", "health_record", "consultation_message"]:
        assert f" {code} " not in log, code


def test_demo_consultation_in_english_has_no_chinese_system_messages(client, demo):
    client.force_login(demo["patient"])
    pk = demo["consultation"].pk
    page = visible_text(client.get(f"/consultations/{pk}/", **EN))
    page += visible_text(client.get(f"/consultations/{pk}/summary/", **EN))
    assert "The consultation has started." in page
    assert "Type 2 diabetes mellitus without complications" in page
    for chinese in ["问诊已开始", "问诊已结束", "就诊小结已生成", "2型糖尿病不伴有", "特发性"]:
        assert chinese not in page, page[max(page.find(chinese) - 200, 0) :][:400]


def test_doctor_languages_are_named(client, demo):
    doctor = DoctorProfile.objects.get(user=demo["doctor"])
    doctor.languages = "zh,en"
    doctor.save(update_fields=["languages"])
    page = visible_text(client.get(f"/doctors/{doctor.pk}/", **ZH))
    assert "中文, English" in page
    assert "zh,en" not in page


def test_demo_findings_in_the_readers_language(client, demo):
    client.force_login(demo["doctor"])  # the demo doctor has TOTP set up
    pending = Prescription.objects.filter(
        doctor__user=demo["doctor"], status="pending_review"
    ).exclude(findings=None)
    prescription = pending.first()
    finding = prescription.findings.first()
    zh = visible_text(client.get(f"/prescriptions/{prescription.pk}/", **ZH))
    assert severity_label(finding.severity, "zh-hans") in zh
    assert finding_kind_label(finding.kind, "zh-hans") in zh
    for code in [f"{finding.severity} ·", f"{finding.kind} ·", finding.management]:
        assert code not in zh, code
    assert finding.management_zh in zh
    en = visible_text(client.get(f"/prescriptions/{prescription.pk}/", **EN))
    assert finding.message in en
    assert finding.management in en
    assert finding.message_zh not in en
    assert finding.management_zh not in en
    # The items: units and routes in words, the packs as a number under Packs.
    assert " tablets" not in zh


def test_stored_findings_without_chinese_advice_are_shown_in_chinese(client, demo):
    client.force_login(demo["doctor"])  # the demo doctor has TOTP set up
    prescription = Prescription.objects.filter(
        doctor__user=demo["doctor"], findings__rule_id__startswith="ddi-"
    ).first()
    prescription.findings.update(management_zh="")  # written before the advice had its Chinese
    finding = prescription.findings.filter(rule_id__startswith="ddi-").first()
    assert finding is not None
    zh = visible_text(client.get(f"/prescriptions/{prescription.pk}/", **ZH))
    assert finding.management not in zh
