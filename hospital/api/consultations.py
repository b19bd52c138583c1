"""Consultation API: one thin view per operation, with its own input and output serializers."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import access_log_for_request
from core.exceptions import Conflict, NotAllowed
from hospital import selectors_consultations as selectors
from hospital.consultation_pages import attachment_response, summary_pdf_response
from hospital.models import Consultation, ConsultationMessage
from hospital.selectors import doctor_profile_for_user
from hospital.services import consultations as services

TAGS = ["consultations"]


# --- serializers -------------------------------------------------------------------------------


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
    text = serializers.CharField(source="body")
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


# --- views -------------------------------------------------------------------------------------


def _detail(request: Request, consultation_id: int) -> Response:
    consultation = selectors.consultation_get_for_user(
        user=request.user, consultation_id=consultation_id
    )
    return Response(ConsultationOutput(consultation).data)


class ConsultationListApi(GenericAPIView):
    serializer_class = ConsultationListOutput

    @extend_schema(
        operation_id="consultation_list",
        summary="Consultations of the patients this account acts for, and those it treats",
        parameters=[
            OpenApiParameter("status", str, enum=Consultation.Status.values),
            OpenApiParameter("kind", str, enum=Consultation.Kind.values),
        ],
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = ConsultationListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.consultation_list_for_user(user=request.user, **filters.validated_data)
        page = self.paginate_queryset(queryset)
        access_log_for_request(
            request,
            patient_id=None,
            object_type="consultation",
            object_id=None,
            action="list",
            detail=f"{len(page or [])} consultations",
        )
        return self.get_paginated_response(ConsultationListOutput(page, many=True).data)


class ConsultationDetailApi(APIView):
    @extend_schema(operation_id="consultation_retrieve", responses=ConsultationOutput, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        consultation = selectors.consultation_get_for_user(user=request.user, consultation_id=pk)
        data = ConsultationOutput(consultation).data
        access_log_for_request(
            request,
            patient_id=consultation.patient_id,
            object_type="consultation",
            object_id=consultation.pk,
            action="read",
        )
        return Response(data)


class AppointmentConsultationOpenApi(APIView):
    @extend_schema(
        operation_id="appointment_consultation_open",
        summary="Open the consultation of a confirmed appointment (at its time, or by the doctor)",
        request=None,
        responses={201: ConsultationOutput},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        consultation = services.consultation_open_for_appointment(
            actor=request.user, appointment_id=pk
        )
        response = _detail(request, consultation.pk)
        response.status_code = 201
        return response


class QuickConsultRequestApi(APIView):
    @extend_schema(
        operation_id="quick_consult_create",
        summary="Ask a question in a department's 24×7 quick-consult queue",
        request=QuickConsultInput,
        responses={201: ConsultationOutput},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = QuickConsultInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        consultation = services.consultation_request_quick(
            account=request.user,
            patient_id=v["patient"],
            department_id=v["department"],
            chief_complaint=v["chief_complaint"],
        )
        response = _detail(request, consultation.pk)
        response.status_code = 201
        return response


class QuickConsultQueueApi(GenericAPIView):
    serializer_class = ConsultationListOutput

    @extend_schema(
        operation_id="quick_consult_queue",
        summary="Quick consults waiting in the doctor's department, oldest first",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        doctor = doctor_profile_for_user(user=request.user)
        if doctor is None:
            raise NotAllowed(_("Only doctors can do this."))
        page = self.paginate_queryset(
            selectors.quick_consult_queue(doctor=doctor).select_related(
                "doctor", "department", "appointment__slot"
            )
        )
        return self.get_paginated_response(ConsultationListOutput(page, many=True).data)


class QuickConsultClaimNextApi(APIView):
    @extend_schema(
        operation_id="quick_consult_claim_next",
        summary="Take the oldest waiting quick consult of one's department",
        request=None,
        responses={200: ConsultationOutput, 404: OpenApiResponse(description="Queue empty")},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        consultation = services.consultation_claim_next(doctor_user=request.user)
        return _detail(request, consultation.pk)


class ConsultationClaimApi(APIView):
    @extend_schema(
        operation_id="consultation_claim",
        summary="Take this waiting quick consult (409 when another doctor has it)",
        request=None,
        responses=ConsultationOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        services.consultation_claim(doctor_user=request.user, consultation_id=pk)
        return _detail(request, pk)


class ConsultationCancelApi(APIView):
    @extend_schema(
        operation_id="consultation_cancel",
        summary="Withdraw a quick consult nobody has taken yet",
        request=None,
        responses=ConsultationOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        services.consultation_cancel(account=request.user, consultation_id=pk)
        return _detail(request, pk)


class ConsultationMessagesApi(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="consultation_message_list",
        summary="Messages after a cursor, oldest first (poll with next_cursor)",
        parameters=[MessageCursorInput],
        responses=MessagePageOutput,
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        cursor = MessageCursorInput(data=request.query_params)
        cursor.is_valid(raise_exception=True)
        consultation = selectors.consultation_get_for_user(
            user=request.user, consultation_id=pk, with_diagnoses=False
        )
        page = selectors.consultation_messages_after(
            consultation=consultation, after=cursor.validated_data["after"]
        )
        data = MessagePageOutput(
            {"results": page.messages, "next_cursor": page.next_cursor, "has_more": page.has_more},
            context={"consultation": consultation},
        ).data
        if page.messages:
            # An empty poll (every few seconds) reads nothing: only new messages are logged.
            access_log_for_request(
                request,
                patient_id=consultation.patient_id,
                object_type="consultation_message",
                object_id=consultation.pk,
                action="list",
                detail=f"messages {page.messages[0].pk}-{page.next_cursor}",
            )
        return Response(data)

    @extend_schema(
        operation_id="consultation_message_create",
        summary="Send a text (JSON) or a photo/PDF (multipart, type read from the content)",
        request={
            "application/json": MessageTextInput,
            "multipart/form-data": MessageFileInput,
        },
        responses={201: MessageOutput, 409: OpenApiResponse(description="Consultation over")},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        if "file" in request.FILES:
            data: serializers.Serializer = MessageFileInput(data=request.data)
            data.is_valid(raise_exception=True)
            message = services.consultation_post_message(
                user=request.user,
                consultation_id=pk,
                text=data.validated_data["text"],
                upload=data.validated_data["file"],
            )
        else:
            data = MessageTextInput(data=request.data)
            data.is_valid(raise_exception=True)
            message = services.consultation_post_message(
                user=request.user, consultation_id=pk, text=data.validated_data["text"]
            )
        consultation = selectors.consultation_get_for_user(
            user=request.user, consultation_id=pk, with_diagnoses=False
        )
        return Response(
            MessageOutput(message, context={"consultation": consultation}).data, status=201
        )


class ConsultationAttachmentApi(APIView):
    @extend_schema(
        operation_id="consultation_message_attachment",
        summary="Download a message's attachment (participants only)",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        tags=TAGS,
    )
    def get(self, request: Request, pk: int, message_id: int) -> FileResponse:
        message = selectors.consultation_message_get_for_user(
            user=request.user, consultation_id=pk, message_id=message_id
        )
        access_log_for_request(
            request,
            patient_id=message.consultation.patient_id,
            object_type="consultation_attachment",
            object_id=message.pk,
            action="read",
        )
        return attachment_response(message)


class ConsultationDiagnosesApi(APIView):
    @extend_schema(
        operation_id="consultation_diagnoses_record",
        summary="Record ICD-10 diagnoses (primary/secondary), notes, advice, follow-up date",
        request=DiagnosesInput,
        responses=ConsultationOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = DiagnosesInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.consultation_record_diagnoses(
            doctor_user=request.user,
            consultation_id=pk,
            diagnoses=[
                services.DiagnosisEntry(code=d["code"], is_primary=d["primary"])
                for d in v["diagnoses"]
            ],
            notes=v.get("notes"),
            advice=v.get("advice"),
            follow_up_on=v.get("follow_up_on"),
        )
        return _detail(request, pk)


class ConsultationFollowUpApi(APIView):
    @extend_schema(
        operation_id="consultation_follow_up_assess",
        summary="Record whether this is a follow-up visit, with the evidence documents",
        request=FollowUpInput,
        responses=ConsultationOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = FollowUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.consultation_assess_follow_up(
            doctor_user=request.user,
            consultation_id=pk,
            qualifies=v["qualifies"],
            evidence_ids=v["evidence"],
            note=v["note"],
        )
        return _detail(request, pk)


class ConsultationCloseApi(APIView):
    @extend_schema(
        operation_id="consultation_close",
        summary="End the consultation with a summary for the patient",
        request=CloseInput,
        responses=ConsultationOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = CloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.consultation_close(
            doctor_user=request.user, consultation_id=pk, summary=data.validated_data["summary"]
        )
        return _detail(request, pk)


class ConsultationReferApi(APIView):
    @extend_schema(
        operation_id="consultation_refer",
        summary="End the consultation and refer the patient to offline care",
        request=ReferInput,
        responses=ConsultationOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = ReferInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.consultation_refer(
            doctor_user=request.user,
            consultation_id=pk,
            reason=v["reason"],
            department_id=v["department"],
            hospital=v["hospital"],
            summary=v["summary"],
        )
        return _detail(request, pk)


class ConsultationRatingApi(APIView):
    @extend_schema(
        operation_id="consultation_rate",
        summary="Rate a closed consultation (once)",
        request=RatingInput,
        responses=ConsultationOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = RatingInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.consultation_rate(
            account=request.user,
            consultation_id=pk,
            rating=data.validated_data["rating"],
            comment=data.validated_data["comment"],
        )
        return _detail(request, pk)


class ConsultationVideoJoinApi(APIView):
    @extend_schema(
        operation_id="consultation_video_join",
        summary="The video room and a short-lived join token (participants, in the window)",
        request=None,
        responses=VideoJoinOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        join = services.consultation_join_video(user=request.user, consultation_id=pk)
        return Response(VideoJoinOutput(join).data)


class ConsultationPhoneApi(APIView):
    @extend_schema(
        operation_id="consultation_phone_arrangement",
        summary="How the phone consultation happens (number masked outside the call window)",
        responses=PhoneArrangementOutput,
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        consultation = selectors.consultation_get_for_user(
            user=request.user, consultation_id=pk, with_diagnoses=False
        )
        if consultation.mode != "phone":
            raise Conflict(_("This is not a phone consultation."), code="not_phone")
        arrangement = services.consultation_phone_arrangement(
            user=request.user, consultation=consultation
        )
        access_log_for_request(
            request,
            patient_id=consultation.patient_id,
            object_type="consultation",
            object_id=consultation.pk,
            action="read",
            detail="phone arrangement",
        )
        return Response(PhoneArrangementOutput(arrangement).data)


class ConsultationSummaryPdfApi(APIView):
    @extend_schema(
        operation_id="consultation_summary_pdf",
        summary="The visit summary as a PDF (closed consultations)",
        parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH)],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        consultation = selectors.consultation_get_for_user(user=request.user, consultation_id=pk)
        return summary_pdf_response(request, consultation)


urlpatterns = [
    path("consultations/", ConsultationListApi.as_view(), name="consultation-list"),
    path("consultations/<int:pk>/", ConsultationDetailApi.as_view(), name="consultation-detail"),
    path(
        "consultations/<int:pk>/claim/", ConsultationClaimApi.as_view(), name="consultation-claim"
    ),
    path(
        "consultations/<int:pk>/cancel/",
        ConsultationCancelApi.as_view(),
        name="consultation-cancel",
    ),
    path(
        "consultations/<int:pk>/messages/",
        ConsultationMessagesApi.as_view(),
        name="consultation-messages",
    ),
    path(
        "consultations/<int:pk>/messages/<int:message_id>/attachment/",
        ConsultationAttachmentApi.as_view(),
        name="consultation-message-attachment",
    ),
    path(
        "consultations/<int:pk>/diagnoses/",
        ConsultationDiagnosesApi.as_view(),
        name="consultation-diagnoses",
    ),
    path(
        "consultations/<int:pk>/follow-up/",
        ConsultationFollowUpApi.as_view(),
        name="consultation-follow-up",
    ),
    path(
        "consultations/<int:pk>/close/", ConsultationCloseApi.as_view(), name="consultation-close"
    ),
    path(
        "consultations/<int:pk>/refer/", ConsultationReferApi.as_view(), name="consultation-refer"
    ),
    path(
        "consultations/<int:pk>/rating/",
        ConsultationRatingApi.as_view(),
        name="consultation-rating",
    ),
    path(
        "consultations/<int:pk>/video/join/",
        ConsultationVideoJoinApi.as_view(),
        name="consultation-video-join",
    ),
    path(
        "consultations/<int:pk>/phone/", ConsultationPhoneApi.as_view(), name="consultation-phone"
    ),
    path(
        "consultations/<int:pk>/summary/pdf/",
        ConsultationSummaryPdfApi.as_view(),
        name="consultation-summary-pdf",
    ),
    path(
        "appointments/<int:pk>/consultation/",
        AppointmentConsultationOpenApi.as_view(),
        name="appointment-consultation-open",
    ),
    path("quick-consults/", QuickConsultRequestApi.as_view(), name="quick-consult-create"),
    path("quick-consults/queue/", QuickConsultQueueApi.as_view(), name="quick-consult-queue"),
    path(
        "quick-consults/next/", QuickConsultClaimNextApi.as_view(), name="quick-consult-claim-next"
    ),
]
