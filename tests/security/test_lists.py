"""Lists never hold another person's rows: every list, queue, search and dashboard of the site
(API and pages, from the URLconf) asked by another patient and by a doctor with no part in the
demo patient's care shows nothing of the demo patient's family, while the patient's own lists
do show them (so the names are a fair test)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_PATIENT_EMAIL
from accounts.models import PatientProfile
from tests.security.access_matrix import list_routes, signed_in_clients
from tests.security.demo_objects import demo_objects

pytestmark = pytest.mark.django_db

# Pages that hand out files or redirect elsewhere rather than list anything.
NOT_LISTS = frozenset({"api-schema", "account_logout", "favicon", "set_language"})


def _answers(client, routes) -> dict[str, str]:
    answers = {}
    for route in routes:
        if route.name in NOT_LISTS:
            continue
        response = client.get("/" + route.pattern)
        if response.status_code == 200 and not response.get("Content-Disposition"):
            answers[route.pattern] = response.content.decode(errors="replace")
    return answers


def test_no_list_shows_another_persons_rows(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    demo_objects()  # the care services around the demo patient: referrals, house calls...
    family = list(
        PatientProfile.objects.filter(account__email=DEMO_PATIENT_EMAIL).values_list(
            "real_name", flat=True
        )
    )
    clients = signed_in_clients()
    routes = list_routes()

    own = _answers(clients["patient"], routes)
    assert sum(any(name in body for name in family) for body in own.values()) >= 5

    for role in ("other_patient", "other_doctor"):
        answers = _answers(clients[role], routes)
        assert len(answers) >= 20, role  # the role really reads lists
        leaks = {path: [name for name in family if name in body] for path, body in answers.items()}
        assert {path: names for path, names in leaks.items() if names} == {}, role
