"""Every read and write of health data leaves an append-only, tamper-evident trace."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role
from accounts.selectors import patient_access_log
from audit.models import AccessLogEntry, AppendOnlyError
from audit.services import access_log_for_request, access_log_record
from audit.verification import access_log_verify
from core.exceptions import NotFound
from core.request_context import client_ip_var, request_id_var
from tests.accounts.factories import PatientProfileFactory, UserFactory
from tests.audit.factories import record_entries
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db


class RecordApi(APIView):
    def get(self, request, patient_id):
        access_log_for_request(
            request,
            patient_id=patient_id,
            object_type="hospital.HealthRecord",
            object_id=patient_id,
            action=AccessLogEntry.Action.READ,
        )
        return Response({})


urlpatterns = [path("record/<int:patient_id>/", RecordApi.as_view())]


def test_an_entry_records_who_what_when_and_from_where():
    doctor = UserFactory(roles=[Role.DOCTOR, Role.PATIENT])
    patient = PatientProfileFactory()
    id_token, ip_token = request_id_var.set("req-7"), client_ip_var.set("203.0.113.9")
    try:
        entry = access_log_record(
            actor=doctor,
            patient_id=patient.pk,
            object_type="hospital.Consultation",
            object_id=31,
            action="update",
            detail="diagnosis added",
        )
    finally:
        request_id_var.reset(id_token)
        client_ip_var.reset(ip_token)

    entry = AccessLogEntry.objects.get(pk=entry.pk)
    assert entry.actor == doctor
    assert entry.actor_role == "doctor,patient"
    assert entry.patient_id == patient.pk
    assert (entry.object_type, entry.object_id) == ("hospital.Consultation", "31")
    assert (entry.action, entry.outcome) == ("update", "success")
    assert (entry.request_id, entry.client_ip) == ("req-7", "203.0.113.9")
    assert entry.occurred_at.tzinfo is not None
    assert entry.detail == "diagnosis added"


@pytest.mark.urls(__name__)
def test_a_view_records_the_request_user_id_and_address(api_client):
    doctor = UserFactory(roles=[Role.DOCTOR])
    api_client.force_authenticate(doctor)

    api_client.get("/record/5/", HTTP_X_REQUEST_ID="abc123", REMOTE_ADDR="198.51.100.4")

    entry = AccessLogEntry.objects.get()
    assert (entry.actor, entry.actor_role, entry.patient_id) == (doctor, "doctor", 5)
    assert (entry.request_id, entry.client_ip) == ("abc123", "198.51.100.4")


def test_refusals_are_recorded_even_for_a_patient_that_does_not_exist():
    entry = access_log_record(
        actor=None,
        patient_id=987654,
        object_type="hospital.HealthRecord",
        object_id=None,
        action="read",
        outcome="not_found",
    )
    assert entry.actor_role == "anonymous"
    assert AccessLogEntry.objects.get().outcome == "not_found"


def test_unknown_action_or_outcome_is_a_programming_error():
    with pytest.raises(ValueError, match="action"):
        access_log_record(actor=None, patient_id=None, object_type="x", object_id=1, action="peek")
    with pytest.raises(ValueError, match="outcome"):
        access_log_record(
            actor=None,
            patient_id=None,
            object_type="x",
            object_id=1,
            action="read",
            outcome="maybe",
        )


def test_each_entry_links_to_the_one_before():
    first, second, third = record_entries(3)
    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    assert first.previous_hmac == ""
    assert second.previous_hmac == first.entry_hmac
    assert third.previous_hmac == second.entry_hmac


def test_entries_cannot_be_changed_or_deleted_through_the_application():
    (entry,) = record_entries(1)
    entry.detail = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AccessLogEntry.objects.filter(pk=entry.pk).update(detail="rewritten")
    with pytest.raises(AppendOnlyError):
        AccessLogEntry.objects.all().delete()
    assert AccessLogEntry.objects.get().detail == ""


def run_verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def raw_sql(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{table}", AccessLogEntry._meta.db_table), params)


def test_verify_passes_an_intact_chain():
    record_entries(5)
    assert "5 entries verified" in run_verify()


def test_verify_names_a_changed_entry():
    entries = record_entries(5)
    raw_sql("UPDATE {table} SET object_id = %s WHERE id = %s", ["999", entries[2].pk])

    with pytest.raises(CommandError, match=rf"id={entries[2].pk} \(sequence 3\).*changed"):
        run_verify()


def test_verify_names_the_entry_after_a_deleted_one():
    entries = record_entries(5)
    raw_sql("DELETE FROM {table} WHERE id = %s", [entries[1].pk])

    with pytest.raises(CommandError, match=rf"id={entries[2].pk} \(sequence 3\).*missing"):
        run_verify()


def test_verify_names_an_inserted_entry():
    entries = record_entries(3)
    last = entries[-1]
    # A forger who can write to the table but lacks the key links the row correctly but
    # cannot produce its HMAC.
    raw_sql(
        "INSERT INTO {table} (sequence, occurred_at, actor_id, actor_role, patient_id, "
        "object_type, object_id, action, outcome, request_id, client_ip, detail, "
        "previous_hmac, entry_hmac) VALUES (%s, %s, NULL, '', NULL, 'x', '1', 'read', "
        "'success', '', '', '', %s, %s)",
        [4, last.occurred_at, last.entry_hmac, "0" * 64],
    )
    inserted = AccessLogEntry.objects.get(sequence=4)

    with pytest.raises(CommandError, match=rf"id={inserted.pk} \(sequence 4\)"):
        run_verify()


def test_verify_notices_a_row_renumbered_into_a_gap():
    entries = record_entries(4)
    raw_sql("DELETE FROM {table} WHERE id = %s", [entries[1].pk])
    raw_sql("UPDATE {table} SET sequence = 2 WHERE id = %s", [entries[2].pk])

    report = access_log_verify()

    assert report.first_break is not None
    assert report.first_break.entry_id == entries[2].pk


def test_a_patient_sees_who_looked_at_their_record():
    profile = PatientProfileFactory()
    doctor = UserFactory(roles=[Role.DOCTOR])
    record_entries(2, actor=doctor, patient_id=profile.pk)
    record_entries(1, actor=doctor, patient_id=PatientProfileFactory().pk)

    entries = list(patient_access_log(account=profile.account, patient_id=profile.pk))

    assert len(entries) == 2
    assert entries[0].sequence > entries[1].sequence
    assert all(entry.actor == doctor for entry in entries)


def test_another_accounts_patient_log_is_not_found():
    profile = PatientProfileFactory()
    with pytest.raises(NotFound):
        patient_access_log(account=UserFactory(), patient_id=profile.pk)


def test_the_patient_log_reads_in_two_queries_however_long(django_assert_num_queries):
    profile = PatientProfileFactory()
    record_entries(10, actor=UserFactory(roles=[Role.DOCTOR]), patient_id=profile.pk)
    with django_assert_num_queries(2):
        entries = list(patient_access_log(account=profile.account, patient_id=profile.pk))
        [entry.actor.email for entry in entries]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    outcomes = run_concurrently(record_entries, [(5,)] * 12)

    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert errors == []
    sequences = list(AccessLogEntry.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, 61))
    assert access_log_verify().intact
