import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import PatientProfile
from tests.accounts.factories import (
    OperatorUserFactory,
    PatientProfileFactory,
    activate_totp,
    make_resident_id,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient_browser(client, patient_user):
    client.force_login(patient_user)
    return client


def form_data(**overrides):
    birth_date = dt.date(1990, 7, 1)
    data = {
        "relationship": "self",
        "real_name": "孙悟",
        "sex": "male",
        "birth_date": birth_date.isoformat(),
        "resident_id_number": make_resident_id(birth_date, male=True),
        "phone": "13800138000",
    }
    data.update(overrides)
    return data


def test_nav_links_to_my_patients(patient_browser):
    assert reverse("accounts:patient_list") == "/me/patients/"
    assert 'href="/me/patients/"' in patient_browser.get("/").content.decode()


def test_list_shows_masked_id_numbers_only(patient_browser, patient_user):
    profile = PatientProfileFactory(account=patient_user)
    page = patient_browser.get("/me/patients/").content.decode()
    assert profile.real_name in page
    assert profile.masked_resident_id in page
    assert profile.resident_id_number not in page


def test_list_needs_login(client):
    response = client.get("/me/patients/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_add_a_patient_through_the_form(patient_browser, patient_user):
    response = patient_browser.post(reverse("accounts:patient_create"), form_data())
    assert response.status_code == 302
    assert patient_user.patient_profiles.get().real_name == "孙悟"


def test_form_shows_id_mismatch_next_to_the_field(patient_browser):
    response = patient_browser.post(
        reverse("accounts:patient_create"), form_data(sex="female"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "sex" in response.context["form"].errors
    assert not PatientProfile.objects.exists()


def test_second_self_is_refused_with_a_message(patient_browser, patient_user):
    PatientProfileFactory(account=patient_user)
    response = patient_browser.post(reverse("accounts:patient_create"), form_data())
    assert response.status_code == 200
    assert "relationship" in response.context["form"].errors


def test_edit_and_archive(patient_browser, patient_user):
    profile = PatientProfileFactory(account=patient_user)
    url = reverse("accounts:patient_edit", args=[profile.pk])
    data = {
        **form_data(
            birth_date=profile.birth_date.isoformat(),
            resident_id_number=profile.resident_id_number,
        ),
        "real_name": "改名",
        "is_archived": "on",
    }
    response = patient_browser.post(url, data)
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.real_name == "改名"
    assert profile.is_archived


def test_another_accounts_profile_cannot_be_edited(patient_browser):
    theirs = PatientProfileFactory()
    url = reverse("accounts:patient_edit", args=[theirs.pk])
    assert patient_browser.get(url).status_code == 404
    assert patient_browser.post(url, form_data()).status_code == 404


@pytest.mark.parametrize(
    ("language", "heading", "relationship", "login_word"),
    [("zh-hans", "就诊人", "本人", "登录"), ("en", "My patients", "Self", "Sign In")],
)
def test_pages_speak_chinese_and_english(
    client, patient_user, language, heading, relationship, login_word
):
    client.cookies["django_language"] = language
    login_page = client.get(reverse("account_login")).content.decode()
    assert login_word in login_page
    assert "杏林" in login_page  # allauth's pages sit inside the site layout
    PatientProfileFactory(account=patient_user)
    client.force_login(patient_user)
    page = client.get("/me/patients/").content.decode()
    assert f"<h1>{heading}</h1>" in page
    assert f">{relationship}</td>" in page


def test_api_field_errors_follow_the_request_language(patient_client):
    body = form_data(resident_id_number="110105199007010010")
    response = patient_client.post(
        "/api/v1/me/patients/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    assert "校验位" in response.json()["errors"]["resident_id_number"][0]


def test_admin_lists_mask_the_id_number_and_search_by_name(client):
    operator = OperatorUserFactory()
    activate_totp(operator)
    profile = PatientProfileFactory(real_name="周杰")
    client.force_login(operator)
    page = client.get("/admin/accounts/patientprofile/", {"q": "周杰"}).content.decode()
    assert profile.masked_resident_id in page
    assert profile.resident_id_number not in page
    change = client.get(f"/admin/accounts/patientprofile/{profile.pk}/change/").content.decode()
    assert profile.resident_id_number not in change


def test_admin_user_list_shows_roles_and_filters_by_group(client):
    operator = OperatorUserFactory()
    activate_totp(operator)
    client.force_login(operator)
    response = client.get("/admin/accounts/user/", {"q": operator.email})
    assert response.status_code == 200
    assert "operator" in response.content.decode()


def test_admin_refuses_a_sex_that_contradicts_the_id_number(client):
    operator = OperatorUserFactory()
    activate_totp(operator)
    profile = PatientProfileFactory(sex="male")
    client.force_login(operator)
    url = f"/admin/accounts/patientprofile/{profile.pk}/change/"
    response = client.post(
        url,
        {
            "account": profile.account_id,
            "relationship": profile.relationship,
            "real_name": profile.real_name,
            "sex": "female",
            "birth_date": profile.birth_date.isoformat(),
            "phone": str(profile.phone),
        },
    )
    assert response.status_code == 200
    assert "sex" in response.context["adminform"].form.errors
    profile.refresh_from_db()
    assert profile.sex == "male"
