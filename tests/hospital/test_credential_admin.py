"""The operators' admin: named 杏林 运营后台, the verification queue one click from the index,
every action confirmed with a count, and a pending certificate judged as the doctor sent it."""

import datetime as dt

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.messages import get_messages
from django.utils import translation

from hospital.doctors.models import Credential
from tests.accounts.factories import UserFactory
from tests.hospital.factories import CredentialFactory, DoctorFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/hospital/credential/"


@pytest.fixture
def operator_client(client):
    operator = UserFactory(roles=["operator"], is_staff=True, is_superuser=True)
    Authenticator.objects.create(user=operator, type=Authenticator.Type.TOTP, data={})
    client.force_login(operator)
    return client


def pending_credential(**fields):
    doctor = DoctorFactory(credentials=False)
    return CredentialFactory(
        doctor=doctor, kind=Credential.Kind.TITLE, status=Credential.Status.PENDING, **fields
    )


@pytest.mark.parametrize(
    ("language", "title"), [("zh-hans", "杏林 运营后台"), ("en", "Xinglin operations")]
)
def test_the_admin_is_named_for_the_operators(operator_client, language, title):
    with translation.override(language):
        response = operator_client.get("/admin/", HTTP_ACCEPT_LANGUAGE=language)
    page = response.content.decode()
    assert f"<title>{title} | {title}</title>" in page
    assert title in page.split("<h1", 1)[1].split("</h1>", 1)[0]


def test_the_index_links_the_pending_verification_queue(operator_client):
    page = operator_client.get("/admin/").content.decode()
    assert f'href="{CHANGELIST}?status__exact=pending"' in page
    response = operator_client.get(CHANGELIST, {"status__exact": "pending"})
    assert response.status_code == 200


def test_verifying_confirms_how_many_were_verified(operator_client):
    first, second = pending_credential(), pending_credential()
    response = operator_client.post(
        CHANGELIST, {"action": "verify", "_selected_action": [first.pk, second.pk]}, follow=True
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["2 个证书已核验通过。"]
    first.refresh_from_db()
    assert first.status == Credential.Status.VERIFIED


def test_rejecting_confirms_the_count_and_warns_of_what_could_not_be(operator_client):
    pending = pending_credential()
    verified = CredentialFactory(doctor=pending.doctor, kind=Credential.Kind.QUALIFICATION)
    response = operator_client.post(
        CHANGELIST,
        {
            "action": "reject",
            "_selected_action": [pending.pk, verified.pk],
            "apply": "1",
            "reason": "号码不符",
        },
        follow=True,
    )
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages[-1] == "1 个证书已驳回。"
    assert len(messages) == 2  # the verified one: why it was left as it is
    pending.refresh_from_db()
    verified.refresh_from_db()
    assert (pending.status, verified.status) == ("rejected", "verified")


def test_a_pending_credential_is_decided_on_not_edited(operator_client):
    credential = pending_credential(number="T-2020-001", expires_on=dt.date(2030, 1, 1))
    url = f"{CHANGELIST}{credential.pk}/change/"
    page = operator_client.get(url).content.decode()
    for field in ("doctor", "number", "issued_on", "expires_on"):
        assert f'name="{field}"' not in page, field
    assert "T-2020-001" in page
    operator_client.post(
        url, {"number": "FORGED", "issued_on": "2001-01-01", "expires_on": "2099-01-01"}
    )
    credential.refresh_from_db()
    assert (credential.number, credential.expires_on) == ("T-2020-001", dt.date(2030, 1, 1))
    assert credential.issued_on == dt.date(2015, 7, 1)
