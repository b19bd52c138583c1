"""An id that no patient can have (beyond the 64-bit column) is a 404, and the probe is still
on record."""

import pytest

from audit.models import AccessLogEntry
from audit.services import access_log_record

pytestmark = pytest.mark.django_db

HUGE = 99999999999999999999


def test_out_of_range_patient_id_is_recorded_as_text(patient_user):
    entry = access_log_record(
        actor=patient_user,
        patient_id=HUGE,
        object_type="allergy",
        object_id=None,
        action="list",
        outcome="not_found",
    )
    assert entry.patient_id is None
    assert str(HUGE) in entry.detail


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/patients/{HUGE}/allergies/",
        f"/api/v1/patients/{HUGE}/record/",
        f"/api/v1/patients/{HUGE}/fhir/",
    ],
)
def test_record_paths_with_an_impossible_patient_id_are_404(patient_client, path):
    response = patient_client.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert AccessLogEntry.objects.filter(outcome="not_found", detail__contains=str(HUGE)).exists()
