"""Advances the demo's house calls as their doctors would: dispatched → accepted → on the way →
arrived, one state per step. Running it again moves them on; at the door they wait for the
doctor's notes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hospital.housecalls.simulator import house_calls_simulate_step


class Command(BaseCommand):
    help = "Move dispatched and visiting house calls one state on, as their doctors would."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--house-call", type=int, help="only this house call")
        parser.add_argument("--steps", type=int, default=1, help="how many states to move on")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["steps"] <= 10:
            raise CommandError("--steps is between 1 and 10.")
        for _step in range(options["steps"]):
            steps = house_calls_simulate_step(house_call_id=options.get("house_call"))
            if not steps:
                self.stdout.write("No house call is on its way.")
                return
            for step in steps:
                outcome = step.moved_to or f"stays ({step.detail})"
                self.stdout.write(f"house call #{step.house_call_id}: {outcome}")
