"""Health bonus: a month of readings on enough days, mostly in range, adds cover to the
commercial policy's year, once per month."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from core.exceptions import DomainError
from insurance import demo, selectors
from insurance.models import IncentiveGrant, Plan, PlanVersion, Policy, PolicyYear
from insurance.services.incentives import incentive_grant
from tests.accounts.factories import OperatorUserFactory, activate_totp
from tests.insurance.test_settlement import insured_patient

pytestmark = pytest.mark.django_db

MONTH = dt.date(2026, 3, 1)  # the demo plan: 20 days, 70 % in range, ¥500 more cover


def _commercial(patient):
    return Policy.objects.get(patient=patient, plan__code=demo.COMMERCIAL_PLAN)


def _grant(policy, days=20, share=7000, month=MONTH):
    return incentive_grant(
        policy_id=policy.pk, month=month, days_recorded=days, in_range_share_bp=share
    )


def _bonus_cover(policy, year=2026):
    row = PolicyYear.objects.filter(policy=policy, year=year).first()
    return row.bonus_cover_fen if row else 0


def test_a_month_at_the_thresholds_earns_the_bonus_as_extra_annual_cover():
    patient, _social = insured_patient()
    policy = _commercial(patient)
    before = selectors.policy_eligibility(policy=policy, on=dt.date(2026, 4, 1)).cap_remaining_fen

    grant = _grant(policy, days=20, share=7000)

    assert grant is not None
    assert (grant.month, grant.bonus_fen) == (MONTH, 50_000)
    assert _bonus_cover(policy) == 50_000
    after = selectors.policy_eligibility(policy=policy, on=dt.date(2026, 4, 1)).cap_remaining_fen
    assert after == before + 50_000


@pytest.mark.parametrize(("days", "share"), [(19, 10_000), (31, 6999), (0, 0)])
def test_a_month_short_of_either_threshold_earns_nothing(days, share):
    patient, _social = insured_patient()
    policy = _commercial(patient)
    assert _grant(policy, days=days, share=share) is None
    assert not IncentiveGrant.objects.exists()
    assert _bonus_cover(policy) == 0


def test_granting_a_month_again_gives_nothing_more():
    patient, _social = insured_patient()
    policy = _commercial(patient)
    first = _grant(policy, days=25, share=9000)
    again = _grant(policy, days=28, share=9500)

    assert again == first
    assert IncentiveGrant.objects.count() == 1
    assert _bonus_cover(policy) == 50_000
    # The next month is a month of its own.
    assert _grant(policy, month=dt.date(2026, 4, 15)).month == dt.date(2026, 4, 1)
    assert _bonus_cover(policy) == 100_000


def test_social_plans_and_plans_without_the_rule_grant_nothing():
    patient, social = insured_patient()
    assert _grant(social, days=31, share=10_000) is None
    PlanVersion.objects.filter(plan__code=demo.COMMERCIAL_PLAN).update(incentive_min_days=0)
    assert _grant(_commercial(patient), days=31, share=10_000) is None


def test_a_social_plan_version_cannot_be_given_a_bonus():
    insured_patient()
    version = PlanVersion.objects.filter(plan=Plan.objects.get(code=demo.EMPLOYEE_PLAN)).first()
    version.incentive_min_days, version.incentive_bonus_fen = 20, 50_000
    with pytest.raises(Exception, match="Only a commercial plan"):
        version.full_clean()


def test_figures_outside_a_month_are_refused():
    patient, _social = insured_patient()
    with pytest.raises(DomainError) as error:
        _grant(_commercial(patient), days=32)
    assert error.value.field == "days_recorded"
    with pytest.raises(DomainError):
        _grant(_commercial(patient), share=10_001)


def _text(response):
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_policies_page_shows_the_health_bonus_in_both_languages():
    patient, _social = insured_patient()
    _grant(_commercial(patient), days=24)
    client = Client()
    client.force_login(patient.account)

    english = _text(client.get("/insurance/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Health bonus" in english
    assert "2026-03" in english
    assert "¥500.00" in english

    chinese = _text(client.get("/insurance/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "健康奖励" in chinese
    assert "2026-03" in chinese


def test_the_page_shows_no_bonus_section_before_one_is_earned():
    patient, _social = insured_patient()
    client = Client()
    client.force_login(patient.account)
    assert "Health bonus" not in _text(client.get("/insurance/", HTTP_ACCEPT_LANGUAGE="en"))


def test_an_operator_edits_the_bonus_rule_on_the_plan_version():
    insured_patient()
    version = PlanVersion.objects.get(plan__code=demo.COMMERCIAL_PLAN)
    operator = OperatorUserFactory()
    activate_totp(operator)
    client = Client()
    client.force_login(operator)

    page = client.get(
        f"/admin/insurance/planversion/{version.pk}/change/", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert page.status_code == 200
    text = page.content.decode()
    assert "Health bonus (commercial plans)" in text
    assert 'name="incentive_bonus_fen" value="50000"' in text
