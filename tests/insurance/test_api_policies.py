"""Policies: a patient registers their memberships and sees what each still covers."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from insurance import demo
from insurance.adjudication import ClaimLine, ItemCategory, SocialYear, adjudicate
from insurance.models import Plan, PlanVersion, Policy, PolicyYear
from insurance.selectors import plan_version_in_force, social_rules
from tests.accounts.factories import PatientProfileFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/policies/"


@pytest.fixture
def plans(db):
    demo.seed_demo_data(stdout=io.StringIO())
    return Plan.objects.get(code=demo.EMPLOYEE_PLAN), Plan.objects.get(code=demo.COMMERCIAL_PLAN)


@pytest.fixture
def patient(patient_user):
    return PatientProfileFactory(account=patient_user)


def register(client, patient, plan_code, number="M-1", starts_on="2026-01-01", **extra):
    body = {
        "patient": patient.pk,
        "plan": plan_code,
        "member_number": number,
        "starts_on": starts_on,
        **extra,
    }
    return client.post(URL, body, format="json")


def test_a_patient_registers_policies_and_sees_social_first(patient_client, patient, plans):
    commercial = register(patient_client, patient, demo.COMMERCIAL_PLAN, number="C-1")
    social = register(patient_client, patient, demo.EMPLOYEE_PLAN, number="S-1")
    assert (commercial.status_code, social.status_code) == (201, 201)
    assert social.json()["plan"]["payer_kind"] == "social"

    listed = patient_client.get(URL).json()["results"]
    assert [p["member_number"] for p in listed] == ["S-1", "C-1"]
    assert [p["priority"] for p in listed] == [1, 2]


def test_the_same_plan_twice_is_a_conflict_and_changes_nothing(patient_client, patient, plans):
    register(patient_client, patient, demo.EMPLOYEE_PLAN, number="S-1")
    again = register(patient_client, patient, demo.EMPLOYEE_PLAN, number="S-2")
    assert again.status_code == 409
    assert again.json()["code"] == "policy_exists"
    assert Policy.objects.filter(patient=patient).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"plan": "no-such-plan"}, "plan"),
        ({"starts_on": "2026-02-30"}, "starts_on"),
        ({"ends_on": "2025-12-31"}, "ends_on"),
        ({"member_number": "   "}, "member_number"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(patient_client, patient, plans, body, field):
    values = {"plan_code": demo.EMPLOYEE_PLAN, **body}
    if "plan" in values:
        values["plan_code"] = values.pop("plan")
    response = register(patient_client, patient, **values)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Policy.objects.exists()


def test_another_accounts_patient_and_policy_are_not_found(patient_client, plans):
    stranger = PatientProfileFactory()
    assert register(patient_client, stranger, demo.EMPLOYEE_PLAN).status_code == 404
    theirs = Policy.objects.create(
        patient=stranger, plan=plans[0], member_number="X", starts_on=dt.date(2026, 1, 1)
    )
    assert patient_client.get(f"{URL}{theirs.pk}/eligibility/").status_code == 404
    assert patient_client.get(URL).json()["results"] == []


def test_eligibility_says_what_is_left_of_the_year(patient_client, patient, plans):
    policy_id = register(patient_client, patient, demo.EMPLOYEE_PLAN).json()["id"]
    Policy.objects.filter(pk=policy_id).update(account_balance_fen=12_345)
    PolicyYear.objects.create(
        policy_id=policy_id, year=2026, deductible_met_fen=50_000, pool_paid_fen=300_000
    )

    body = patient_client.get(f"{URL}{policy_id}/eligibility/?on=2026-06-01").json()
    assert body["is_active"] is True
    assert body["deductible_remaining"] == "1300.00"
    assert body["cap_remaining"] == "17000.00"
    assert body["account_balance"] == "123.45"
    assert "2023" in body["benefits_source"]

    before = patient_client.get(f"{URL}{policy_id}/eligibility/?on=2025-12-31").json()
    assert before["is_active"] is False
    assert before["reason"]


def test_a_bad_eligibility_date_is_a_field_error(patient_client, patient, plans):
    policy_id = register(patient_client, patient, demo.EMPLOYEE_PLAN).json()["id"]
    response = patient_client.get(f"{URL}{policy_id}/eligibility/?on=June")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["on"]


def test_the_version_in_force_on_the_date_applies(plans):
    employee, _ = plans
    newer = PlanVersion.objects.create(
        plan=employee,
        effective_from=dt.date(2026, 7, 1),
        source="a later notice",
        deductible_fen=100_000,
        annual_cap_fen=2_000_000,
    )
    assert plan_version_in_force(plan_id=employee.pk, on=dt.date(2026, 6, 30)).pk != newer.pk
    assert plan_version_in_force(plan_id=employee.pk, on=dt.date(2026, 7, 1)).pk == newer.pk
    assert plan_version_in_force(plan_id=employee.pk, on=dt.date(2022, 12, 31)) is None


def test_the_provider_levels_ratio_wins_over_the_general_one(plans):
    version = plan_version_in_force(plan_id=plans[0].pk, on=dt.date(2026, 3, 1))
    line = ClaimLine("1", dt.date(2026, 3, 1), ItemCategory.VISIT, "visit", 10_000)
    met = SocialYear(deductible_met=version.deductible_fen)
    community = adjudicate(
        [line], social=(social_rules(version=version, provider_level="primary"), met)
    )
    hospital = adjudicate([line], social=(social_rules(version=version), met))
    assert (community.lines[0].pool, hospital.lines[0].pool) == (9_000, 7_000)


def test_the_policy_list_reads_in_constant_queries(
    patient_client, patient, plans, django_assert_num_queries
):
    for number, plan in enumerate(plans):
        register(patient_client, patient, plan.code, number=str(number))
    for _ in range(3):
        other = PatientProfileFactory(account=patient.account, relationship="child")
        register(patient_client, other, demo.EMPLOYEE_PLAN, number=f"c{other.pk}")
    with django_assert_num_queries(2):  # the count and the page, whatever its size
        assert len(patient_client.get(URL).json()["results"]) == 5
