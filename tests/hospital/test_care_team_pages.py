"""The 会诊 and referral pages, in Chinese and English, as the treating doctor, the invited
specialist and the patient use them."""

from __future__ import annotations

import pytest

from hospital.consultations.models import (
    MdtConsultation,
    MdtInvitation,
    PartnerDepartment,
    PartnerHospital,
    Referral,
)
from hospital.consultations.services import mdt as mdt_services
from hospital.consultations.services import referrals as referral_services
from tests.accounts.factories import activate_totp
from tests.hospital.factories import DoctorFactory
from tests.hospital.prescription_factories import PrescribingConsultationFactory

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _login(client, user):
    if user.is_clinical_or_staff:
        activate_totp(user)
    client.force_login(user)


@pytest.fixture
def consultation():
    return PrescribingConsultationFactory()


@pytest.fixture
def partner():
    hospital = PartnerHospital.objects.create(
        name="杭州市第一人民医院", level="tertiary", city="杭州", address="浣纱路261号"
    )
    return PartnerDepartment.objects.create(hospital=hospital, name="呼吸与危重症医学科")


def test_the_treating_doctor_invites_from_the_page_and_the_specialist_answers(client, consultation):
    specialist = DoctorFactory(name="王专家")
    _login(client, consultation.doctor.user)
    page = client.get(f"/consultations/{consultation.pk}/", **ZH).content.decode()
    assert "邀请专家会诊" in page
    form = client.get(f"/consultations/{consultation.pk}/mdt/", **ZH).content.decode()
    assert "王专家" in form
    response = client.post(
        f"/consultations/{consultation.pk}/mdt/",
        {"doctors": [specialist.pk], "question": "是否需要加用胰岛素？", "access_hours": 48},
        **ZH,
    )
    mdt = MdtConsultation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/mdt/{mdt.pk}/"

    client.logout()
    _login(client, specialist.user)
    workspace = client.get("/doctor/consultations/", **ZH).content.decode()
    assert "您有1个会诊邀请待处理" in workspace
    queue = client.get("/doctor/mdt/", **ZH).content.decode()
    assert "会诊" in queue
    assert "是否需要加用胰岛素？" in queue
    detail = client.get(f"/mdt/{mdt.pk}/", **ZH).content.decode()
    assert "接受并查看病历" in detail
    assert 'data-testid="open-record"' not in detail
    client.post(f"/mdt/{mdt.pk}/action/", {"action": "accept"})
    detail = client.get(f"/mdt/{mdt.pk}/", **ZH).content.decode()
    assert 'data-testid="open-record"' in detail
    client.post(f"/mdt/{mdt.pk}/action/", {"action": "opinion", "opinion": "建议加用基础胰岛素"})
    assert MdtInvitation.objects.get().status == "answered"
    english = client.get(f"/mdt/{mdt.pk}/", **EN).content.decode()
    assert "Inter-doctor consultation" in english
    assert "建议加用基础胰岛素" in english


def test_pages_are_404_for_doctors_not_in_the_mdt(client, consultation):
    specialist = DoctorFactory()
    mdt = mdt_services.mdt_invite(
        doctor_user=consultation.doctor.user,
        consultation_id=consultation.pk,
        doctor_ids=[specialist.pk],
        question="是否需要加用胰岛素？",
    )
    _login(client, DoctorFactory().user)
    assert client.get(f"/mdt/{mdt.pk}/").status_code == 404
    assert client.post(f"/mdt/{mdt.pk}/action/", {"action": "accept"}).status_code == 404
    assert client.get(f"/consultations/{consultation.pk}/mdt/").status_code == 404
    assert client.get(f"/consultations/{consultation.pk}/referrals/new/").status_code == 404


def test_a_bad_invitation_on_the_page_says_why_and_changes_nothing(client, consultation):
    _login(client, consultation.doctor.user)
    response = client.post(
        f"/consultations/{consultation.pk}/mdt/",
        {"doctors": [], "question": "", "access_hours": 48},
        **ZH,
    )
    assert response.status_code == 200
    assert not MdtConsultation.objects.exists()


def test_referral_from_the_page_and_its_detail_for_the_patient(client, consultation, partner):
    _login(client, consultation.doctor.user)
    form = client.get(f"/consultations/{consultation.pk}/referrals/new/", **ZH).content.decode()
    assert "呼吸与危重症医学科" in form
    response = client.post(
        f"/consultations/{consultation.pk}/referrals/new/",
        {"partner_department": partner.pk, "reason": "慢性咳嗽两个月，需肺功能检查"},
    )
    referral = Referral.objects.get()
    assert response["Location"] == f"/referrals/{referral.pk}/"

    client.logout()
    client.force_login(consultation.patient.account)
    page = client.get(f"/referrals/{referral.pk}/", **ZH).content.decode()
    assert referral.letter_number in page
    assert "下载转诊单" in page
    assert "该科室暂无可预约的门诊号源" in page
    english = client.get(f"/referrals/{referral.pk}/", **EN).content.decode()
    assert "Download the referral letter (PDF)" in english
    listing = client.get("/referrals/", **ZH).content.decode()
    assert referral.letter_number in listing


def test_the_outcome_shows_in_the_record_page(client, consultation, partner):
    referral = referral_services.referral_create(
        doctor_user=consultation.doctor.user,
        consultation_id=consultation.pk,
        partner_department_id=partner.pk,
        reason="慢性咳嗽两个月，需肺功能检查",
    )
    _login(client, consultation.doctor.user)
    client.post(
        f"/referrals/{referral.pk}/action/",
        {"action": "outcome", "outcome": "seen", "notes": "肺功能正常"},
    )
    referral.refresh_from_db()
    assert referral.outcome == "seen"
    client.logout()
    client.force_login(consultation.patient.account)
    record = client.get(f"/records/{consultation.patient_id}/", **ZH).content.decode()
    assert "已门诊就诊" in record
    assert "肺功能正常" in record
