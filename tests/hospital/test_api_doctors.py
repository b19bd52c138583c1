import pytest

from hospital.doctors.models import DoctorProfile
from tests.hospital.factories import DepartmentFactory, DoctorFactory

pytestmark = pytest.mark.django_db


def test_only_doctors_who_may_practise_are_listed(api_client):
    good = DoctorFactory(name="张医生")
    DoctorFactory(credentials=False)
    suspended = DoctorFactory()
    DoctorProfile.objects.filter(pk=suspended.pk).update(is_suspended=True, suspension_reason="x")
    body = api_client.get("/api/v1/doctors/").json()
    assert [d["id"] for d in body["results"]] == [good.pk]
    assert api_client.get(f"/api/v1/doctors/{suspended.pk}/").status_code == 404


def test_filters_by_department_text_and_mode(api_client):
    cardiology = DepartmentFactory(code="cardiology", name_zh="心血管内科")
    heart = DoctorFactory(department=cardiology, specialties="高血压")
    text_only = DoctorFactory(fees={"text": "20.00"})
    ids = lambda q: [d["id"] for d in api_client.get(f"/api/v1/doctors/?{q}").json()["results"]]  # noqa: E731
    assert ids("department=cardiology") == [heart.pk]
    assert ids(f"department={cardiology.pk}") == [heart.pk]
    assert ids("q=高血压") == [heart.pk]
    assert heart.pk in ids("mode=video")
    assert text_only.pk not in ids("mode=video")
    assert api_client.get("/api/v1/doctors/?mode=fax").status_code == 400


@pytest.mark.parametrize("department", ["99999999999999999999999", "%C2%B2"])
def test_a_department_id_no_database_can_hold_is_no_match_not_a_500(api_client, department):
    DoctorFactory()
    response = api_client.get(f"/api/v1/doctors/?department={department}")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_doctor_list_query_count_is_constant(api_client, django_assert_num_queries):
    DoctorFactory.create_batch(2)
    with django_assert_num_queries(3) as small:
        api_client.get("/api/v1/doctors/")
    DoctorFactory.create_batch(8)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(api_client.get("/api/v1/doctors/?page_size=20").json()["results"]) == 10


def test_departments_are_listed_in_order(api_client):
    DepartmentFactory(code="b", ordering=2)
    DepartmentFactory(code="a", ordering=1)
    codes = [d["code"] for d in api_client.get("/api/v1/departments/").json()["results"]]
    assert codes == ["a", "b"]


@pytest.mark.parametrize(
    ("symptoms", "department"),
    [("最近血糖偏高，口渴", "endocrinology"), ("I have a bad cough and fever", "respiratory")],
)
def test_symptom_helper_suggests_a_department_and_says_why(api_client, symptoms, department):
    DepartmentFactory(code="endocrinology")
    DepartmentFactory(code="respiratory")
    body = api_client.post(
        "/api/v1/departments/suggest/", {"symptoms": symptoms}, format="json"
    ).json()
    assert body["suggestions"][0]["department"]["code"] == department
    assert body["suggestions"][0]["matched"]
    assert "not a diagnosis" in body["disclaimer"] or "诊断" in body["disclaimer"]
    assert body["emergency"] is False


def test_symptom_helper_flags_an_emergency(api_client):
    body = api_client.post(
        "/api/v1/departments/suggest/", {"symptoms": "突然胸痛，呼吸困难"}, format="json"
    ).json()
    assert body["emergency"] is True


@pytest.mark.parametrize(
    "query",
    ["from=0001-01-01T00:00:00", "from=9999-12-31T23:00:00", "to=0001-01-01T00:00:00"],
)
def test_a_slot_window_at_the_ends_of_the_calendar_is_a_400(api_client, query):
    doctor = DoctorFactory()
    response = api_client.get(f"/api/v1/doctors/{doctor.pk}/slots/?{query}")
    assert response.status_code == 400
    assert set(response.json()["errors"]) <= {"from", "to"}
