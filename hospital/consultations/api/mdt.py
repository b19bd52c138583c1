"""Inter-doctor consultation (会诊) API: invite, the invited doctor's queue, accept or decline,
opinion, close. One thin view per operation; the services decide who may do what."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import access_log_for_request, access_log_list
from hospital.consultations import selectors
from hospital.consultations.api.serializers import DiagnosisOutput, DoctorBrief, PatientBrief
from hospital.consultations.models import MdtConsultation, MdtInvitation
from hospital.consultations.services import mdt as services

TAGS = ["inter-doctor consultations"]


class MdtInviteInput(serializers.Serializer):
    doctors = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=20
    )
    question = serializers.CharField(max_length=2000)
    access_hours = serializers.IntegerField(
        required=False, min_value=1, help_text="How long invited doctors may read the record."
    )


class MdtDeclineInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class MdtOpinionInput(serializers.Serializer):
    opinion = serializers.CharField(max_length=5000)


class MdtCloseInput(serializers.Serializer):
    conclusion = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )


class MdtListFilters(serializers.Serializer):
    role = serializers.ChoiceField(choices=["invited", "requested"], required=False, default="")
    status = serializers.ChoiceField(
        choices=MdtConsultation.Status.choices, required=False, default=""
    )


class MdtInvitationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    doctor = DoctorBrief()
    status = serializers.ChoiceField(choices=MdtInvitation.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    opinion = serializers.CharField()
    decline_reason = serializers.CharField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)


class MdtConsultationBrief(serializers.Serializer):
    id = serializers.IntegerField()
    patient = PatientBrief()
    department = serializers.CharField(source="department.name")
    chief_complaint = serializers.CharField()


class MdtListOutput(serializers.Serializer):
    id = serializers.IntegerField()
    consultation = MdtConsultationBrief()
    requested_by = DoctorBrief()
    question = serializers.CharField()
    status = serializers.ChoiceField(choices=MdtConsultation.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    is_live = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    invitations = MdtInvitationOutput(many=True)

    def get_is_live(self, mdt: MdtConsultation) -> bool:
        """True while invited doctors who accepted may read the record."""
        return services.mdt_is_live(mdt)


class MdtOutput(MdtListOutput):
    conclusion = serializers.CharField()
    diagnoses = DiagnosisOutput(source="consultation.diagnoses", many=True)


def _detail(request: Request, mdt_id: int, status: int = 200) -> Response:
    mdt = selectors.mdt_get_for_user(user=request.user, mdt_id=mdt_id)
    access_log_for_request(
        request,
        patient_id=mdt.consultation.patient_id,
        object_type="mdtconsultation",
        object_id=mdt.pk,
        action="read",
    )
    return Response(MdtOutput(mdt).data, status=status)


class ConsultationMdtApi(APIView):
    @extend_schema(
        operation_id="consultation_mdt_invite",
        summary="Invite specialists into an inter-doctor consultation (会诊), treating doctor",
        request=MdtInviteInput,
        responses={201: MdtOutput},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.consultation_get_for_treating_doctor(user=request.user, consultation_id=pk)
        data = MdtInviteInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        mdt = services.mdt_invite(
            doctor_user=request.user,
            consultation_id=pk,
            doctor_ids=v["doctors"],
            question=v["question"],
            access_hours=v.get("access_hours"),
        )
        return _detail(request, mdt.pk, status=201)


class MdtListApi(GenericAPIView):
    serializer_class = MdtListOutput

    @extend_schema(
        operation_id="mdt_list",
        summary="Inter-doctor consultations this doctor is invited to or asked for",
        parameters=[
            OpenApiParameter("role", str, enum=["invited", "requested"]),
            OpenApiParameter("status", str, enum=MdtConsultation.Status.values),
        ],
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = MdtListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(
            selectors.mdt_list_for_user(user=request.user, **filters.validated_data)
        )
        access_log_list(
            request,
            object_type="mdtconsultation",
            detail=f"{len(page or [])} inter-doctor consultations",
        )
        return self.get_paginated_response(MdtListOutput(page, many=True).data)


class MdtDetailApi(APIView):
    @extend_schema(operation_id="mdt_retrieve", responses=MdtOutput, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        return _detail(request, pk)


class MdtAcceptApi(APIView):
    @extend_schema(
        operation_id="mdt_accept",
        summary="Accept the invitation: the patient's record opens until the 会诊 ends",
        request=None,
        responses=MdtOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        services.mdt_accept(doctor_user=request.user, mdt_id=pk)
        return _detail(request, pk)


class MdtDeclineApi(APIView):
    @extend_schema(
        operation_id="mdt_decline",
        summary="Decline the invitation",
        request=MdtDeclineInput,
        responses=MdtOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.mdt_get_for_user(user=request.user, mdt_id=pk)
        data = MdtDeclineInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.mdt_decline(
            doctor_user=request.user, mdt_id=pk, reason=data.validated_data["reason"]
        )
        return _detail(request, pk)


class MdtOpinionApi(APIView):
    @extend_schema(
        operation_id="mdt_opinion",
        summary="Give the invited doctor's opinion (after accepting)",
        request=MdtOpinionInput,
        responses=MdtOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.mdt_get_for_user(user=request.user, mdt_id=pk)
        data = MdtOpinionInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.mdt_opinion(
            doctor_user=request.user, mdt_id=pk, opinion=data.validated_data["opinion"]
        )
        return _detail(request, pk)


class MdtCloseApi(APIView):
    @extend_schema(
        operation_id="mdt_close",
        summary="Close the 会诊 with its conclusion (treating doctor); access ends at once",
        request=MdtCloseInput,
        responses=MdtOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.mdt_get_for_user(user=request.user, mdt_id=pk)
        data = MdtCloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.mdt_close(
            doctor_user=request.user, mdt_id=pk, conclusion=data.validated_data["conclusion"]
        )
        return _detail(request, pk)
