"""Checkpoints: the hourly head of the chain, logged off the database, lets verification notice
the newest entries removed all together (which leaves a chain that is whole by itself)."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import AccessLogEntry
from audit.tasks import checkpoint_access_log
from audit.verification import Checkpoint, access_log_head, access_log_verify
from tests.audit.factories import record_entries

pytestmark = pytest.mark.django_db


def _delete_newest(count: int) -> None:
    sql = "DELETE FROM {table} WHERE sequence > (SELECT MAX(sequence) FROM {table}) - %s"
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{table}", AccessLogEntry._meta.db_table), [count])


def test_the_hourly_checkpoint_logs_the_head_of_the_chain(caplog):
    entries = record_entries(3)
    with caplog.at_level(logging.INFO, logger="audit.checkpoint"):
        logged = checkpoint_access_log()
    newest = entries[-1]
    newest.refresh_from_db()
    assert logged == f"{newest.sequence}:{newest.entry_hmac}"
    (record,) = [r for r in caplog.records if r.name == "audit.checkpoint"]
    assert record.access_log_sequence == newest.sequence
    assert record.access_log_entry_hmac == newest.entry_hmac


def test_an_empty_log_has_no_checkpoint():
    assert access_log_head() is None
    assert checkpoint_access_log() == ""


def test_removing_the_newest_entries_passes_alone_but_not_against_a_checkpoint():
    record_entries(5)
    head = access_log_head()
    assert head is not None
    _delete_newest(2)

    assert access_log_verify().intact  # what is left is a whole chain
    report = access_log_verify(checkpoints=[head])
    assert not report.intact
    assert report.first_break is not None
    assert report.first_break.sequence == head.sequence
    assert "newest entries were removed" in report.first_break.reason


def test_a_chain_rewritten_after_a_checkpoint_is_noticed():
    record_entries(3)
    head = access_log_head()
    assert head is not None
    forged = Checkpoint(head.sequence, "0" * 64)
    report = access_log_verify(checkpoints=[forged])
    assert report.first_break is not None
    assert "rewritten" in report.first_break.reason


def test_the_command_takes_checkpoints_from_the_log_lines():
    record_entries(4)
    head = access_log_head()
    out = StringIO()
    call_command("audit_verify", f"--checkpoint={head}", stdout=out)
    assert "4 entries verified, 1 checkpoint(s) present" in out.getvalue()

    _delete_newest(1)
    with pytest.raises(CommandError, match="newest entries were removed"):
        call_command("audit_verify", f"--checkpoint={head}", stdout=StringIO())


@pytest.mark.parametrize("text", ["", "abc", "0:ff", "12", "-3:ff", "7:"])
def test_a_malformed_checkpoint_is_refused(text):
    with pytest.raises(ValueError):
        Checkpoint.parse(text)
