"""Each role's navigation shows its own links and not another role's, and login lands each
role on the page it works from."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import Role
from tests.accounts.factories import (
    DoctorUserFactory,
    OperatorUserFactory,
    PatientUserFactory,
    PharmacistUserFactory,
    UserFactory,
    activate_totp,
    totp_code,
    verified_email,
)

pytestmark = pytest.mark.django_db

PASSWORD = "Xinglin-test-2026"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}

PATIENT_LINKS = [
    "/appointments/",
    "/consultations/",
    "/prescriptions/mine/",
    "/records/",
    "/shop/orders/",
    "/me/patients/",
    "/insurance/",
    "/shop/cart/",
]
DOCTOR_LINKS = [
    "/doctor/consultations/",
    "/doctor/schedule/",
    "/doctor/renewals/",
    "/doctor/chronic-care/",
    "/doctor/credentials/",
]
PHARMACIST_LINKS = ["/pharmacist/review/", "/pharmacist/dispensing/"]
ADMIN_LINK = "/admin/"
APPLY_LINK = "/doctor/apply/"


def signed_in(client, user):
    """Logs the user in; staff have their authenticator (else every page asks to set it up)."""
    if user.is_clinical_or_staff:
        activate_totp(user)
    client.force_login(user)
    return user


def nav_of(client) -> str:
    html = client.get("/", **EN).content.decode()
    start = html.index('<ul class="nav-links">')
    return html[start : html.index("</nav>", start)]


def links_in(nav: str, paths: list[str]) -> list[str]:
    return [path for path in paths if f'href="{path}"' in nav]


def claims_officer():
    user = UserFactory()
    user.groups.add(Group.objects.get_or_create(name=Role.CLAIMS_OFFICER)[0])
    return user


def test_a_patient_sees_the_mine_menu_and_no_staff_tools(client):
    signed_in(client, PatientUserFactory())
    nav = nav_of(client)
    assert links_in(nav, PATIENT_LINKS) == PATIENT_LINKS
    assert "Mine" in nav
    assert 'class="nav-menu"' in nav
    assert APPLY_LINK in nav
    assert links_in(nav, [*DOCTOR_LINKS, *PHARMACIST_LINKS, ADMIN_LINK]) == []


def test_the_patient_menu_reads_wo_de_in_chinese(client):
    signed_in(client, PatientUserFactory())
    html = client.get("/", **ZH).content.decode()
    assert "<summary>我的</summary>" in html


def test_a_doctor_sees_doctor_navigation_only(client):
    # A doctor who signed up as a patient first still works from the doctor's navigation.
    signed_in(client, DoctorUserFactory(roles=[Role.PATIENT, Role.DOCTOR]))
    nav = nav_of(client)
    assert links_in(nav, DOCTOR_LINKS) == DOCTOR_LINKS
    assert links_in(nav, [*PATIENT_LINKS, *PHARMACIST_LINKS, ADMIN_LINK, APPLY_LINK]) == []
    assert "Mine" not in nav


def test_a_pharmacist_sees_pharmacist_navigation_and_no_apply_as_a_doctor(client):
    signed_in(client, PharmacistUserFactory())
    nav = nav_of(client)
    assert links_in(nav, PHARMACIST_LINKS) == PHARMACIST_LINKS
    assert links_in(nav, [*PATIENT_LINKS, *DOCTOR_LINKS, ADMIN_LINK, APPLY_LINK]) == []
    html = client.get("/", **ZH).content.decode()
    assert "申请成为医生" not in html


def test_an_operator_has_the_admin_link_and_no_patient_or_clinical_tools(client):
    signed_in(client, OperatorUserFactory())
    nav = nav_of(client)
    assert ADMIN_LINK in nav
    assert links_in(nav, [*PATIENT_LINKS, *DOCTOR_LINKS, *PHARMACIST_LINKS, APPLY_LINK]) == []


def test_a_claims_officer_has_neither_patient_nor_clinical_tools(client):
    signed_in(client, claims_officer())
    nav = nav_of(client)
    assert "/accounts/2fa/" in nav
    assert 'href="/insurance/review/"' in nav
    assert (
        links_in(nav, [*PATIENT_LINKS, *DOCTOR_LINKS, *PHARMACIST_LINKS, ADMIN_LINK, APPLY_LINK])
        == []
    )


def test_a_visitor_sees_the_public_links_and_log_in(client):
    nav = nav_of(client)
    assert 'href="/doctors/"' in nav
    assert 'href="/shop/"' in nav
    assert reverse("account_login") in nav
    assert links_in(nav, [*PATIENT_LINKS, *DOCTOR_LINKS, *PHARMACIST_LINKS, ADMIN_LINK]) == []


def _log_in(client, user) -> str:
    """Logs in through the login form (and the TOTP step for staff); where it lands."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    if response.url == reverse("mfa_authenticate"):
        response = client.post(response.url, {"code": totp_code()})
        assert response.status_code == 302
    return response.url


@pytest.mark.parametrize(
    ("make_user", "landing"),
    [
        (PatientUserFactory, "/"),
        (DoctorUserFactory, "/doctor/consultations/"),
        (PharmacistUserFactory, "/pharmacist/review/"),
        (OperatorUserFactory, "/admin/"),
        (claims_officer, "/"),
    ],
)
def test_login_lands_each_role_on_its_own_page(client, make_user, landing):
    user = verified_email(make_user())
    if user.is_clinical_or_staff:
        activate_totp(user)
    assert _log_in(client, user) == landing


def test_a_next_page_given_to_the_login_still_wins(client):
    user = verified_email(DoctorUserFactory())
    activate_totp(user)
    response = client.post(
        reverse("account_login") + "?next=/doctor/schedule/",
        {"login": user.email, "password": PASSWORD},
    )
    response = client.post(response.url, {"code": totp_code()})
    assert response.url == "/doctor/schedule/"
