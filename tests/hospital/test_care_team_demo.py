import io

import pytest

from accounts.demo import seed_demo_data as seed_accounts
from hospital.consultations.models import MdtConsultation, PartnerHospital, Referral
from hospital.demo import seed_demo_data as seed_hospital

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_open_mdt_and_a_referral_once():
    seed_accounts(stdout=io.StringIO())
    seed_hospital(stdout=io.StringIO())
    seed_hospital(stdout=io.StringIO())

    mdt = MdtConsultation.objects.get()
    assert mdt.status == MdtConsultation.Status.OPEN
    assert mdt.consultation.status == "open"
    invitation = mdt.invitations.get()
    assert (invitation.doctor.user.email, invitation.status) == ("doctor2@xinglin.test", "accepted")

    referral = Referral.objects.get()
    assert referral.consultation == mdt.consultation
    assert referral.partner_department.clinic_doctor is not None
    assert PartnerHospital.objects.count() == 1
