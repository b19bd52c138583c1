"""The chain check at the size of a real log: 10,000 entries verify, and one changed entry
among them is named (and only it)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import AccessLogEntry
from tests.audit.factories import chained_entries_bulk, record_entries

pytestmark = pytest.mark.django_db

ENTRIES = 10_000


def _verify() -> str:
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def test_ten_thousand_entries_verify_and_the_one_changed_is_named():
    record_entries(3)  # the chain starts as the application starts it
    chained_entries_bulk(ENTRIES - 3)
    assert AccessLogEntry.objects.count() == ENTRIES
    assert f"{ENTRIES} entries verified" in _verify()

    tampered = AccessLogEntry.objects.get(sequence=7_321)
    # As someone with write access to the table, past the application's append-only guard.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_accesslogentry SET actor_role = %s WHERE id = %s",
            ["operator", tampered.pk],
        )
    with pytest.raises(CommandError) as refused:
        _verify()
    message = str(refused.value)
    assert f"id={tampered.pk} (sequence 7321)" in message
    assert "changed" in message
