import pytest

from accounts.roles import Role
from audit.models import AccessLogEntry
from tests.accounts.factories import PatientProfileFactory, UserFactory, activate_totp
from tests.audit.factories import record_entries

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/audit/accesslogentry/"


@pytest.fixture
def admin_client(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    activate_totp(admin)
    client.force_login(admin)
    return client


@pytest.fixture
def entries():
    profile = PatientProfileFactory(real_name="王小明")
    doctor = UserFactory(email="dr.li@example.test", roles=[Role.DOCTOR])
    record_entries(2, actor=doctor, patient_id=profile.pk)
    record_entries(1, actor=UserFactory(roles=[Role.PHARMACIST]))
    return profile


def test_operators_search_the_log_by_actor_email_and_patient(admin_client, entries):
    by_email = admin_client.get(CHANGELIST, {"q": "dr.li@example.test"})
    by_patient_number = admin_client.get(CHANGELIST, {"q": str(entries.pk)})
    by_patient_name = admin_client.get(CHANGELIST, {"q": "王小明"})

    for response in (by_email, by_patient_number, by_patient_name):
        assert response.status_code == 200
        assert response.context["cl"].result_count == 2


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"role": "doctor"}, 2),
        ({"role": "pharmacist"}, 1),
        ({"role": "operator"}, 0),
        ({"action__exact": "read"}, 3),
        ({"outcome__exact": "denied"}, 0),
    ],
)
def test_operators_filter_the_log(admin_client, entries, params, expected):
    response = admin_client.get(CHANGELIST, params)
    assert response.status_code == 200
    assert response.context["cl"].result_count == expected


def test_nobody_adds_changes_or_deletes_entries_in_the_admin(admin_client, entries):
    entry = AccessLogEntry.objects.first()

    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    view = admin_client.get(f"{CHANGELIST}{entry.pk}/change/")
    assert view.status_code == 200
    assert not view.context["has_change_permission"]
    admin_client.post(f"{CHANGELIST}{entry.pk}/change/", {"detail": "edited"})
    assert AccessLogEntry.objects.get(pk=entry.pk).detail == ""
