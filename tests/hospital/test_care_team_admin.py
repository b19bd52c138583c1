import pytest

from audit.models import AccessLogEntry
from hospital.consultations.models import (
    MdtConsultation,
    PartnerDepartment,
    PartnerHospital,
    Referral,
)
from hospital.consultations.services import mdt as mdt_services
from hospital.consultations.services import referrals as referral_services
from tests.accounts.factories import UserFactory, activate_totp
from tests.hospital.factories import DoctorFactory
from tests.hospital.prescription_factories import PrescribingConsultationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    activate_totp(admin)
    client.force_login(admin)
    return client


@pytest.fixture
def consultation():
    return PrescribingConsultationFactory()


def test_operators_search_an_mdt_open_it_logged_and_end_its_access(admin_client, consultation):
    specialist = DoctorFactory(name="会诊专家甲")
    mdt = mdt_services.mdt_invite(
        doctor_user=consultation.doctor.user,
        consultation_id=consultation.pk,
        doctor_ids=[specialist.pk],
        question="是否需要加用胰岛素？",
    )
    changelist = admin_client.get("/admin/hospital/mdtconsultation/", {"q": "会诊专家甲"})
    assert changelist.status_code == 200
    assert "会诊专家甲" in changelist.content.decode()
    assert admin_client.get(f"/admin/hospital/mdtconsultation/{mdt.pk}/change/").status_code == 200
    read = AccessLogEntry.objects.order_by("-sequence").first()
    assert (read.object_type, read.patient_id, read.detail) == (
        "mdtconsultation",
        consultation.patient_id,
        "admin",
    )

    admin_client.post(
        "/admin/hospital/mdtconsultation/",
        {"action": "end_access", "_selected_action": [mdt.pk]},
    )
    assert MdtConsultation.objects.get(pk=mdt.pk).status == MdtConsultation.Status.EXPIRED


def test_operators_record_a_referral_outcome_and_manage_partners(admin_client, consultation):
    hospital = PartnerHospital.objects.create(
        name="杭州市第一人民医院", level="tertiary", city="杭州", address="浣纱路261号"
    )
    department = PartnerDepartment.objects.create(hospital=hospital, name="呼吸与危重症医学科")
    referral = referral_services.referral_create(
        doctor_user=consultation.doctor.user,
        consultation_id=consultation.pk,
        partner_department_id=department.pk,
        reason="慢性咳嗽两个月，需肺功能检查",
    )
    assert admin_client.get("/admin/hospital/referral/", {"q": "呼吸"}).status_code == 200
    assert admin_client.get(f"/admin/hospital/referral/{referral.pk}/change/").status_code == 200
    admin_client.post(
        "/admin/hospital/referral/",
        {"action": "record_admitted", "_selected_action": [referral.pk]},
    )
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == ("completed", "admitted")

    assert admin_client.get("/admin/hospital/partnerhospital/", {"q": "杭州"}).status_code == 200
    admin_client.post(
        "/admin/hospital/partnerhospital/",
        {"action": "stop_referrals", "_selected_action": [hospital.pk]},
    )
    hospital.refresh_from_db()
    assert hospital.is_active is False
    assert Referral.objects.count() == 1
