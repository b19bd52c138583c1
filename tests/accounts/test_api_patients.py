import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import PatientProfile
from audit.models import AccessLogEntry
from tests.accounts.factories import PatientProfileFactory, PatientUserFactory, make_resident_id

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/me/patients/"


def detail_url(profile_id: int) -> str:
    return f"/api/v1/me/patients/{profile_id}/"


def new_person(*, id_birth_date: dt.date = dt.date(1988, 2, 29), **overrides):
    birth_date = id_birth_date
    body = {
        "relationship": "self",
        "real_name": "赵敏",
        "sex": "female",
        "birth_date": birth_date.isoformat(),
        "resident_id_number": make_resident_id(birth_date, male=False),
        "phone": "13800138000",
    }
    body.update(overrides)
    return body


def test_paths_are_the_promised_ones():
    assert reverse("accounts_api:patient_list") == LIST_URL
    assert reverse("accounts_api:patient_detail", args=[7]) == detail_url(7)


def test_add_self_returns_the_full_profile(patient_client, patient_user):
    body = new_person()
    response = patient_client.post(LIST_URL, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["resident_id_number"] == body["resident_id_number"]
    assert data["resident_id_number_masked"].count("*") == 10
    assert data["phone"] == "+8613800138000"
    assert PatientProfile.objects.get(pk=data["id"]).account == patient_user


def test_lower_case_x_check_character_is_accepted_and_stored_upper_case(patient_client):
    # 11010519491231002X is the textbook example of an ID ending in X.
    body = new_person(birth_date="1949-12-31", resident_id_number="11010519491231002x")
    response = patient_client.post(LIST_URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["resident_id_number"] == "11010519491231002X"


def test_full_width_digits_are_stored_as_ascii_ones(patient_client):
    body = new_person(
        birth_date="1949-12-31", resident_id_number="１１０１０５１９４９１２３１００２ｘ"
    )
    response = patient_client.post(LIST_URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["resident_id_number"] == "11010519491231002X"


def test_list_masks_id_numbers_and_detail_shows_the_full_one(patient_client, patient_user):
    profile = PatientProfileFactory(account=patient_user)
    listed = patient_client.get(LIST_URL).json()["results"]
    assert listed[0]["resident_id_number_masked"] == profile.masked_resident_id
    assert "resident_id_number" not in listed[0]
    assert profile.resident_id_number not in str(listed)
    detail = patient_client.get(detail_url(profile.pk)).json()
    assert detail["resident_id_number"] == profile.resident_id_number


def test_list_shows_only_this_accounts_people_self_first(patient_client, patient_user):
    child = PatientProfileFactory(
        account=patient_user, relationship="child", birth_date=dt.date(2019, 1, 1)
    )
    me = PatientProfileFactory(account=patient_user)
    PatientProfileFactory()  # someone else's
    ids = [row["id"] for row in patient_client.get(LIST_URL).json()["results"]]
    assert ids == [me.pk, child.pk]


@pytest.mark.parametrize("count", [1, 5])
def test_list_query_count_does_not_grow_with_the_list(
    patient_client, patient_user, django_assert_num_queries, count
):
    PatientProfileFactory(account=patient_user)
    for index in range(count - 1):
        PatientProfileFactory(
            account=patient_user, relationship="child", birth_date=dt.date(2010, 1, 1 + index)
        )
    with django_assert_num_queries(2):  # count + page
        response = patient_client.get(LIST_URL)
    assert len(response.json()["results"]) == count


def test_another_accounts_profile_is_not_found_for_get_and_patch(patient_client):
    theirs = PatientProfileFactory(account=PatientUserFactory())
    assert patient_client.get(detail_url(theirs.pk)).status_code == 404
    response = patient_client.patch(detail_url(theirs.pk), {"real_name": "x"}, format="json")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.real_name != "x"


def test_missing_profile_is_not_found(patient_client):
    assert patient_client.get(detail_url(999999)).status_code == 404


def test_anonymous_is_refused(api_client):
    assert api_client.get(LIST_URL).status_code in {401, 403}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"resident_id_number": "110105198802290021"}, "resident_id_number"),  # bad check digit
        ({"resident_id_number": "11010519880230002X"}, "resident_id_number"),  # 30 February
        ({"resident_id_number": "12345"}, "resident_id_number"),
        # "²" passes str.isdigit() but is no digit of an ID number.
        ({"resident_id_number": "²10105198802290021"}, "resident_id_number"),
        ({"birth_date": "1988-03-01"}, "birth_date"),  # not the ID's birth date
        ({"sex": "male"}, "sex"),  # the ID's 17th digit is even: a woman
        ({"phone": "12345"}, "phone"),
        ({"relationship": "boss"}, "relationship"),
        ({"real_name": ""}, "real_name"),
        ({"birth_date": "yesterday"}, "birth_date"),
    ],
)
def test_bad_input_is_a_400_field_error_and_creates_nothing(patient_client, changes, field):
    response = patient_client.post(LIST_URL, new_person(**changes), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not PatientProfile.objects.exists()


def test_only_one_self_per_account(patient_client, patient_user):
    PatientProfileFactory(account=patient_user)
    response = patient_client.post(LIST_URL, new_person(), format="json")
    assert response.status_code == 409
    assert "relationship" in response.json()["errors"]


def test_the_same_person_only_once_per_account(patient_client, patient_user):
    profile = PatientProfileFactory(account=patient_user, relationship="parent", sex="male")
    body = new_person(
        relationship="spouse",
        sex="male",
        id_birth_date=profile.birth_date,
        resident_id_number=profile.resident_id_number,
    )
    response = patient_client.post(LIST_URL, body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_patient_profile"
    assert PatientProfile.objects.count() == 1


def test_two_accounts_may_hold_the_same_person(patient_client):
    # A child's two parents each act for the child from their own account.
    other = PatientProfileFactory(relationship="child", sex="female")
    body = new_person(
        relationship="child",
        id_birth_date=other.birth_date,
        resident_id_number=other.resident_id_number,
    )
    assert patient_client.post(LIST_URL, body, format="json").status_code == 201


def test_patch_changes_fields_and_revalidates_against_the_id(patient_client, patient_user):
    profile = PatientProfileFactory(account=patient_user)
    response = patient_client.patch(
        detail_url(profile.pk), {"real_name": "王五", "phone": "13900139000"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["real_name"] == "王五"
    response = patient_client.patch(detail_url(profile.pk), {"sex": "female"}, format="json")
    assert response.status_code == 400
    assert "sex" in response.json()["errors"]
    profile.refresh_from_db()
    assert profile.sex == "male"


def test_archive_hides_from_list_and_restore_brings_back(patient_client, patient_user):
    profile = PatientProfileFactory(account=patient_user)
    response = patient_client.patch(detail_url(profile.pk), {"is_archived": True}, format="json")
    assert response.status_code == 200
    assert patient_client.get(LIST_URL).json()["results"] == []
    archived = patient_client.get(LIST_URL, {"include_archived": "true"}).json()["results"]
    assert [row["id"] for row in archived] == [profile.pk]
    assert patient_client.get(detail_url(profile.pk)).json()["is_archived"] is True
    patient_client.patch(detail_url(profile.pk), {"is_archived": False}, format="json")
    assert len(patient_client.get(LIST_URL).json()["results"]) == 1
    assert PatientProfile.objects.filter(pk=profile.pk).exists()


def test_delete_is_not_offered(patient_client, patient_user):
    profile = PatientProfileFactory(account=patient_user)
    assert patient_client.delete(detail_url(profile.pk)).status_code == 405
    assert PatientProfile.objects.filter(pk=profile.pk).exists()


def test_an_account_may_act_for_at_most_the_configured_number(
    patient_client, patient_user, settings
):
    settings.MAX_PATIENT_PROFILES_PER_ACCOUNT = 1
    PatientProfileFactory(account=patient_user)
    response = patient_client.post(LIST_URL, new_person(relationship="child"), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_patient_profiles"


def test_profile_changes_are_kept_in_history(patient_client, patient_user):
    profile = PatientProfileFactory(account=patient_user)
    patient_client.patch(detail_url(profile.pk), {"real_name": "新名字"}, format="json")
    names = list(profile.history.order_by("history_id").values_list("real_name", flat=True))
    assert names[-1] == "新名字"
    assert len(names) == 2


def test_creating_changing_and_viewing_the_full_id_are_on_the_access_log(
    patient_client, patient_user
):
    created = patient_client.post(LIST_URL, new_person(), format="json").json()
    patient_client.patch(detail_url(created["id"]), {"real_name": "赵敏敏"}, format="json")
    patient_client.get(detail_url(created["id"]))
    patient_client.get(LIST_URL)  # masked numbers only: not an access to record
    entries = AccessLogEntry.objects.filter(patient_id=created["id"]).order_by("sequence")
    assert [(e.action, e.actor_id) for e in entries] == [
        ("create", patient_user.pk),
        ("update", patient_user.pk),
        ("read", patient_user.pk),
    ]
