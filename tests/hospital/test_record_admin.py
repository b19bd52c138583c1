import pytest

from audit.models import AccessLogEntry
from tests.accounts.factories import UserFactory, activate_totp
from tests.hospital.record_factories import (
    AllergyFactory,
    ConditionFactory,
    MedicalDocumentFactory,
    MedicationFactory,
    ReadingFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    activate_totp(admin)
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    ("factory", "path"),
    [
        (AllergyFactory, "allergy"),
        (ConditionFactory, "condition"),
        (MedicationFactory, "medication"),
        (ReadingFactory, "reading"),
        (MedicalDocumentFactory, "medicaldocument"),
    ],
)
def test_operators_search_and_open_record_entries_and_the_read_is_logged(
    admin_client, factory, path
):
    entry = factory()
    changelist = admin_client.get(f"/admin/hospital/{path}/", {"q": entry.patient.real_name})
    assert changelist.status_code == 200
    assert admin_client.get(f"/admin/hospital/{path}/{entry.pk}/change/").status_code == 200
    log = AccessLogEntry.objects.order_by("-sequence").first()
    assert (log.patient_id, log.object_type, log.detail) == (entry.patient_id, path, "admin")
    assert admin_client.get(f"/admin/hospital/{path}/{entry.pk}/delete/").status_code in (
        302,
        403,
    )
    assert admin_client.get(f"/admin/hospital/{path}/{entry.pk}/history/").status_code == 200
