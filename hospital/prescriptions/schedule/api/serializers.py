"""Input and output of the medication schedule API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hospital.prescriptions.schedule.models import MedicationDose
from hospital.rules import figure


class ScheduleListFilters(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="Local day (Asia/Shanghai); today.")
    # Bounded to the ids a database row can have: a larger number is a 400, not an overflow.
    patient = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class DoseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    due_at = serializers.DateTimeField(help_text="The dose's time; a snooze never moves it.")
    status = serializers.ChoiceField(choices=MedicationDose.Status.choices)
    marked_at = serializers.DateTimeField(allow_null=True)
    snoozed_until = serializers.DateTimeField(allow_null=True)


class ScheduleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    patient_id = serializers.IntegerField()
    prescription_id = serializers.IntegerField(source="prescription_item.prescription_id")
    drug_code = serializers.CharField(source="drug.code")
    drug_name = serializers.CharField(source="drug.display_name")
    dose = serializers.CharField(source="dose_text")
    frequency = serializers.CharField()
    times_of_day = serializers.ListField(child=serializers.CharField())
    instructions = serializers.CharField()
    started_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    supply_days = serializers.IntegerField()
    is_important = serializers.BooleanField()
    is_chronic = serializers.BooleanField()
    doses = serializers.SerializerMethodField()

    @extend_schema_field(DoseOutput(many=True))
    def get_doses(self, schedule: Any) -> list[dict[str, Any]]:
        return DoseOutput(getattr(schedule, "day_doses", []), many=True).data  # type: ignore[return-value]


class DoseMarkInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[("taken", "taken"), ("skipped", "skipped")])
    at = serializers.DateTimeField(required=False, help_text="When; now unless given.")


class DoseSnoozeInput(serializers.Serializer):
    minutes = serializers.IntegerField(
        min_value=figure("MEDICATION_SNOOZE_MINUTES")[0],
        max_value=figure("MEDICATION_SNOOZE_MINUTES")[1],
    )


class ScheduleTimesInput(serializers.Serializer):
    times = serializers.ListField(
        child=serializers.CharField(max_length=5), min_length=1, max_length=6
    )


class DrugAdherenceOutput(serializers.Serializer):
    drug_id = serializers.IntegerField()
    drug_name = serializers.CharField()
    days_counted = serializers.IntegerField()
    days_covered = serializers.IntegerField()
    pdc = serializers.DecimalField(max_digits=4, decimal_places=3, allow_null=True)
    doses_due = serializers.IntegerField()
    doses_taken = serializers.IntegerField()
    doses_taken_share = serializers.DecimalField(max_digits=4, decimal_places=3, allow_null=True)
    meets_line = serializers.BooleanField(allow_null=True)


class AdherenceOutput(serializers.Serializer):
    patient_id = serializers.IntegerField()
    window_start = serializers.DateField()
    window_end = serializers.DateField()
    line = serializers.DecimalField(max_digits=4, decimal_places=3)
    pdc = serializers.DecimalField(max_digits=4, decimal_places=3, allow_null=True)
    doses_due = serializers.IntegerField()
    doses_taken = serializers.IntegerField()
    doses_taken_share = serializers.DecimalField(max_digits=4, decimal_places=3, allow_null=True)
    meets_line = serializers.BooleanField(allow_null=True)
    drugs = DrugAdherenceOutput(many=True)
