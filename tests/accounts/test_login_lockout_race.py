"""Fifty simultaneous app logins with wrong passwords for one account, from one address, on
PostgreSQL: exactly five reach the password check, the other 45 are refused as locked, and the
right password is refused afterwards too."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client

from accounts.models import LoginLockout
from tests.accounts.factories import PatientUserFactory, verified_email
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PASSWORD = "Xinglin-test-2026"
ATTEMPTS = 50


def app_login(email: str, password: str) -> tuple[int, frozenset[str]]:
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        {"email": email, "password": password},
        content_type="application/json",
    )
    codes = frozenset(error.get("code", "") for error in response.json().get("errors", []))
    return response.status_code, codes


def test_fifty_simultaneous_wrong_passwords_get_exactly_five_checks(settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    patient = verified_email(PatientUserFactory())

    outcomes = run_concurrently(app_login, [(patient.email, "wrong-password")] * ATTEMPTS)

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    kinds = Counter("locked" if "login_locked" in codes else status for status, codes in outcomes)
    assert kinds == {400: 5, "locked": 45}
    lockout = LoginLockout.objects.get(email=patient.email)
    assert lockout.attempts == 5
    assert lockout.locked_until is not None
    status, codes = app_login(patient.email, PASSWORD)
    assert (status, "login_locked" in codes) == (400, True)
