import datetime as dt

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.serializers import ModelOutputSerializer
from hospital.models import Appointment, ConsultationMode, Department, DoctorProfile, Slot


class DepartmentOutput(ModelOutputSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "name_zh", "name_en", "parent", "ordering"]


class DoctorServiceOutput(serializers.Serializer):
    mode = serializers.CharField()
    fee = serializers.DecimalField(max_digits=8, decimal_places=2)


class DoctorOutput(ModelOutputSerializer):
    department = DepartmentOutput()
    title_display = serializers.CharField(source="get_title_display")
    tier_display = serializers.CharField(source="get_tier_display")
    services = DoctorServiceOutput(many=True)
    languages = serializers.ListField(source="language_list", child=serializers.CharField())

    class Meta:
        model = DoctorProfile
        fields = [
            "id",
            "name",
            "department",
            "title",
            "title_display",
            "tier",
            "tier_display",
            "bio",
            "specialties",
            "years_of_practice",
            "languages",
            "services",
            "rating",
            "rating_count",
        ]


class DoctorListFilters(serializers.Serializer):
    department = serializers.CharField(required=False, allow_blank=True, max_length=40)
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    mode = serializers.ChoiceField(
        choices=ConsultationMode.choices, required=False, allow_blank=True
    )


class BoundedDateTimeField(serializers.DateTimeField):
    """A date-time kept well inside datetime's range: year 1 in Beijing is before datetime.min
    in UTC, and the slot window adds a week to "from", so either end would raise OverflowError
    (a 500) instead of answering 400."""

    earliest = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
    latest = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)

    def to_internal_value(self, value: dt.datetime | str) -> dt.datetime:
        try:
            parsed = super().to_internal_value(value)
        except OverflowError:
            parsed = None
        if parsed is None or not (self.earliest <= parsed < self.latest):
            raise serializers.ValidationError(_("Enter a date between 1900 and 2999."))
        return parsed


class SlotFilters(serializers.Serializer):
    # "from" is a Python keyword: the field is renamed in the view.
    start = BoundedDateTimeField(required=False)
    end = BoundedDateTimeField(required=False)
    mode = serializers.ChoiceField(
        choices=ConsultationMode.choices, required=False, allow_blank=True
    )

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"to": ["Must be after 'from'."]})
        return attrs


class SlotOutput(ModelOutputSerializer):
    remaining = serializers.IntegerField(read_only=True)

    class Meta:
        model = Slot
        fields = ["id", "mode", "starts_at", "ends_at", "capacity", "remaining"]


class SymptomInput(serializers.Serializer):
    symptoms = serializers.CharField(max_length=1000)


class SymptomSuggestionOutput(serializers.Serializer):
    department = DepartmentOutput()
    matched = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()


class SymptomAdviceOutput(serializers.Serializer):
    suggestions = SymptomSuggestionOutput(many=True)
    emergency = serializers.BooleanField()
    disclaimer = serializers.CharField()


class AppointmentInput(serializers.Serializer):
    patient = serializers.IntegerField(min_value=1)
    slot = serializers.IntegerField(min_value=1)
    mode = serializers.ChoiceField(choices=ConsultationMode.choices)
    visit_type = serializers.ChoiceField(choices=Appointment.VisitType.choices)
    chief_complaint = serializers.CharField(max_length=1000)
    doctor = serializers.IntegerField(
        min_value=1, required=False, help_text="If given, the slot must be this doctor's."
    )


class RescheduleInput(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1)


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AppointmentPatientOutput(serializers.Serializer):
    id = serializers.IntegerField()
    real_name = serializers.CharField()


class AppointmentDoctorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    department = serializers.CharField(source="department.name")


class AppointmentOutput(ModelOutputSerializer):
    patient = AppointmentPatientOutput()
    doctor = AppointmentDoctorOutput()
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    ends_at = serializers.DateTimeField(source="slot.ends_at")
    patient_due = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    payment_status = serializers.CharField(source="payment.status", default=None)
    payment_token = serializers.UUIDField(source="payment.token", default=None)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "status",
            "patient",
            "doctor",
            "slot",
            "mode",
            "visit_type",
            "chief_complaint",
            "starts_at",
            "ends_at",
            "fee",
            "insurance_share",
            "patient_due",
            "payment_status",
            "payment_token",
            "hold_expires_at",
            "confirmed_at",
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
            "refund_amount",
            "rescheduled_from",
            "created_at",
        ]


class AppointmentPaymentOutput(serializers.Serializer):
    appointment = AppointmentOutput()
    redirect_url = serializers.CharField(help_text="Send the payer here to pay.")
