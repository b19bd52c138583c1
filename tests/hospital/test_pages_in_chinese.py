"""The hospital pages as a browser asking for Simplified Chinese sees them."""

import pytest

from hospital.doctors.models import DoctorProfile
from tests.hospital.factories import DepartmentFactory, DoctorFactory, SlotFactory

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


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
