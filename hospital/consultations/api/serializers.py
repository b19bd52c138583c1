"""Consultation API: one thin view per operation, with its own input and output serializers."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    extend_schema_field,
)
from rest_framework import serializers

from hospital.consultations.models import Consultation, ConsultationMessage
from hospital.consultations.services import clinical as services


class PatientBrief(serializers.Serializer):
    id = serializers.IntegerField()
    real_name = serializers.CharField()


class DoctorBrief(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    title_display = serializers.CharField(source="get_title_display")


class DepartmentBrief(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DiagnosisOutput(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField()
    is_primary = serializers.BooleanField()


class ReferralOutput(serializers.Serializer):
    department = DepartmentBrief(source="referral_department", allow_null=True)
    hospital = serializers.CharField(source="referral_hospital")
    reason = serializers.CharField(source="referral_reason")


class ConsultationListOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    mode = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    patient = PatientBrief()
    doctor = DoctorBrief(allow_null=True)
    department = DepartmentBrief()
    appointment = serializers.IntegerField(source="appointment_id", allow_null=True)
    starts_at = serializers.SerializerMethodField()
    chief_complaint = serializers.CharField()
    outcome = serializers.CharField()
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_starts_at(self, consultation: Consultation) -> Any:
        if consultation.appointment is None:
            return None
        return serializers.DateTimeField().to_representation(
            consultation.appointment.slot.starts_at
        )


class ConsultationOutput(ConsultationListOutput):
    qualifies_as_follow_up = serializers.BooleanField(allow_null=True)
    follow_up_note = serializers.CharField()
    notes = serializers.CharField()
    advice = serializers.CharField()
    follow_up_on = serializers.DateField(allow_null=True)
    summary = serializers.CharField()
    diagnoses = DiagnosisOutput(many=True)
    referral = serializers.SerializerMethodField()
    may_prescribe = serializers.SerializerMethodField()
    rating = serializers.IntegerField(allow_null=True)
    rating_comment = serializers.CharField()

    @extend_schema_field(ReferralOutput(allow_null=True))
    def get_referral(self, consultation: Consultation) -> dict | None:
        if consultation.outcome != Consultation.Outcome.REFERRED:
            return None
        return dict(ReferralOutput(consultation).data)

    def get_may_prescribe(self, consultation: Consultation) -> bool:
        return services.consultation_may_prescribe(consultation)


class AttachmentOutput(serializers.Serializer):
    url = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    name = serializers.CharField()


class MessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    sender_role = serializers.SerializerMethodField()
    text = serializers.CharField()  # a system message in the language asked for
    attachment = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_sender_role(self, message: ConsultationMessage) -> str:
        consultation = self.context["consultation"]
        if message.sender_id is None:
            return "system"
        if consultation.doctor is not None and message.sender_id == consultation.doctor.user_id:
            return "doctor"
        return "patient"

    @extend_schema_field(AttachmentOutput(allow_null=True))
    def get_attachment(self, message: ConsultationMessage) -> dict | None:
        if not message.attachment:
            return None
        url = reverse(
            "hospital_api:consultation-message-attachment",
            kwargs={"pk": message.consultation_id, "message_id": message.pk},
        )
        return {
            "url": url,
            "content_type": message.attachment_type,
            "size": message.attachment_size,
            "name": message.attachment_name,
        }


class MessagePageOutput(serializers.Serializer):
    results = MessageOutput(many=True)
    next_cursor = serializers.IntegerField()
    has_more = serializers.BooleanField()


class ConsultationListFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=Consultation.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=Consultation.Kind.choices, required=False)


class MessageCursorInput(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, required=False, default=0)


class MessageTextInput(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class MessageFileInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)
    text = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class QuickConsultInput(serializers.Serializer):
    patient = serializers.IntegerField()
    department = serializers.IntegerField()
    chief_complaint = serializers.CharField(max_length=2000)


class DiagnosisInput(serializers.Serializer):
    code = serializers.CharField(max_length=10)
    primary = serializers.BooleanField(default=False)


class DiagnosesInput(serializers.Serializer):
    diagnoses = DiagnosisInput(many=True, required=False, default=list)
    notes = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    advice = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    follow_up_on = serializers.DateField(required=False)


# The largest id a BigAutoField holds: a bigger one in the evidence list would overflow the
# database's integer parameter (a 500) instead of naming no document.
ID_MAX = 2**63 - 1


class FollowUpInput(serializers.Serializer):
    qualifies = serializers.BooleanField()
    evidence = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        required=False,
        default=list,
        max_length=20,
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CloseInput(serializers.Serializer):
    summary = serializers.CharField(max_length=5000)


class ReferInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    department = serializers.IntegerField(required=False, allow_null=True, default=None)
    hospital = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class RatingInput(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class VideoJoinOutput(serializers.Serializer):
    room_name = serializers.CharField()
    room_url = serializers.CharField()
    join_url = serializers.CharField()
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class PhoneArrangementOutput(serializers.Serializer):
    calls_at = serializers.DateTimeField(allow_null=True)
    number = serializers.CharField()
    number_visible = serializers.BooleanField()
    instructions = serializers.CharField()
