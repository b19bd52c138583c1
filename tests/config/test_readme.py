"""The README's commands are the first thing a new colleague runs: they must work as written."""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management import get_commands

README = Path(__file__).resolve().parents[2] / "README.md"
DEMO_PREFIX = "DEBUG=true .venv/bin/python manage.py "


def _demo_part() -> str:
    # Production runs with its own environment (SECRET_KEY set), so its commands differ.
    return README.read_text(encoding="utf-8").split("## Production deployment")[0]


def test_the_first_lines_run_and_test_the_system():
    first, second = README.read_text(encoding="utf-8").splitlines()[:2]
    assert first.startswith("make run ")
    assert second.startswith("make test ")


def test_every_demo_manage_py_command_is_given_in_a_form_that_runs():
    # Invocations, not a module's name in passing (`manage.py audit_verify` in the table).
    commands = re.findall(r"`([^`]*python[^`]* manage\.py [^`]*)`", _demo_part())
    assert commands
    known = get_commands()
    for command in commands:
        assert command.startswith(DEMO_PREFIX), command
        assert command.removeprefix(DEMO_PREFIX).split()[0] in known, command
