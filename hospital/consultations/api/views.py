"""Consultation API: one thin view per operation, with its own input and output serializers."""

from __future__ import annotations

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import access_log_for_request, access_log_list, access_log_nothing_read
from core.exceptions import Conflict, NotAllowed
from hospital.consultations import selectors
from hospital.consultations.api.serializers import (
    CloseInput,
    ConsultationListFilters,
    ConsultationListOutput,
    ConsultationOutput,
    DiagnosesInput,
    FollowUpInput,
    MessageCursorInput,
    MessageFileInput,
    MessageOutput,
    MessagePageOutput,
    MessageTextInput,
    PhoneArrangementOutput,
    QuickConsultInput,
    RatingInput,
    ReferInput,
    VideoJoinOutput,
)
from hospital.consultations.models import Consultation
from hospital.consultations.pages import attachment_response
from hospital.consultations.services import away, calls, chat, clinical, visits
from hospital.consultations.summary import summary_pdf_response
from hospital.doctors.selectors import doctor_profile_for_user

TAGS = ["consultations"]


def _visible_or_404(request: Request, consultation_id: int) -> None:
    """Another person's consultation is a 404 before its body is read, whatever the body."""
    selectors.consultation_get_for_user(
        user=request.user, consultation_id=consultation_id, with_diagnoses=False
    )


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
        access_log_list(
            request, object_type="consultation", detail=f"{len(page or [])} consultations"
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
        consultation = visits.consultation_open_for_appointment(
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
        consultation = visits.consultation_request_quick(
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
        consultation = visits.consultation_claim_next(doctor_user=request.user)
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
        visits.consultation_claim(doctor_user=request.user, consultation_id=pk)
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
        visits.consultation_cancel(account=request.user, consultation_id=pk)
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
        away.consultation_chat_seen(consultation=consultation, user=request.user)
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
        else:
            access_log_nothing_read()
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
        _visible_or_404(request, pk)
        if "file" in request.FILES:
            data: serializers.Serializer = MessageFileInput(data=request.data)
            data.is_valid(raise_exception=True)
            message = chat.consultation_post_message(
                user=request.user,
                consultation_id=pk,
                text=data.validated_data["text"],
                upload=data.validated_data["file"],
            )
        else:
            data = MessageTextInput(data=request.data)
            data.is_valid(raise_exception=True)
            message = chat.consultation_post_message(
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
        _visible_or_404(request, pk)
        data = DiagnosesInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        clinical.consultation_record_diagnoses(
            doctor_user=request.user,
            consultation_id=pk,
            diagnoses=[
                clinical.DiagnosisEntry(code=d["code"], is_primary=d["primary"])
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
        _visible_or_404(request, pk)
        data = FollowUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        clinical.consultation_assess_follow_up(
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
        _visible_or_404(request, pk)
        data = CloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        visits.consultation_close(
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
        _visible_or_404(request, pk)
        data = ReferInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        visits.consultation_refer(
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
        _visible_or_404(request, pk)
        data = RatingInput(data=request.data)
        data.is_valid(raise_exception=True)
        visits.consultation_rate(
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
        join = calls.consultation_join_video(user=request.user, consultation_id=pk)
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
        arrangement = calls.consultation_phone_arrangement(
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
