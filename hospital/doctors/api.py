from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import ModelOutputSerializer
from core.exceptions import NotFound
from hospital.doctors import selectors
from hospital.doctors.models import (
    ConsultationMode,
    Credential,
    Department,
    DoctorProfile,
    TierPolicy,
)
from hospital.doctors.selectors import credential_get_own, credential_list_own
from hospital.doctors.services import (
    doctor_apply,
    doctor_credential_submit,
    doctor_practice_problems,
)
from hospital.doctors.tiers import tier_policy_list


class DepartmentOutput(ModelOutputSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "name_zh", "name_en", "parent", "ordering"]


class DoctorServiceOutput(serializers.Serializer):
    mode = serializers.CharField()
    fee = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        source="quoted_fee",
        help_text="What a patient pays: the doctor's fee within their tier's band.",
    )


class DoctorOutput(ModelOutputSerializer):
    department = DepartmentOutput()
    title_display = serializers.CharField(source="get_title_display")
    tier_display = serializers.CharField(source="get_tier_display")
    services = DoctorServiceOutput(many=True)
    languages = serializers.ListField(source="language_list", child=serializers.CharField())
    tier_response_minutes = serializers.IntegerField(
        allow_null=True,
        read_only=True,
        help_text="The tier's response promise in minutes (GET /api/v1/doctor-tiers/).",
    )

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
            "tier_response_minutes",
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
    tier = serializers.ChoiceField(
        choices=DoctorProfile.Tier.choices, required=False, allow_blank=True
    )


class DepartmentListApi(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = DepartmentOutput

    @extend_schema(operation_id="department_list", summary="Clinical departments", tags=["care"])
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.department_list())
        return self.get_paginated_response(DepartmentOutput(page, many=True).data)


class DoctorListApi(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = DoctorOutput

    @extend_schema(
        operation_id="doctor_list",
        summary="Doctors who may practise, filtered",
        parameters=[DoctorListFilters],
        tags=["care"],
    )
    def get(self, request: Request) -> Response:
        filters = DoctorListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.doctor_list(**filters.validated_data))
        return self.get_paginated_response(DoctorOutput(page, many=True).data)


class DoctorDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(operation_id="doctor_retrieve", responses=DoctorOutput, tags=["care"])
    def get(self, request: Request, pk: int) -> Response:
        return Response(DoctorOutput(selectors.doctor_get(doctor_id=pk)).data)


class TierPolicyOutput(ModelOutputSerializer):
    tier_display = serializers.CharField(source="get_tier_display")
    description = serializers.CharField(read_only=True)

    class Meta:
        model = TierPolicy
        fields = [
            "tier",
            "tier_display",
            "fee_floor",
            "fee_ceiling",
            "response_minutes",
            "description",
        ]


class TierPolicyListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="doctor_tier_list",
        summary="Doctor tiers: the fee band and the response promise of each",
        responses=TierPolicyOutput(many=True),
        tags=["care"],
    )
    def get(self, request: Request) -> Response:
        return Response(TierPolicyOutput(tier_policy_list(), many=True).data)


TAGS = ["doctor onboarding"]


class DoctorApplicationOutput(ModelOutputSerializer):
    department = DepartmentOutput()
    title_display = serializers.CharField(source="get_title_display")
    tier_display = serializers.CharField(source="get_tier_display")
    languages = serializers.ListField(source="language_list", child=serializers.CharField())
    services = DoctorServiceOutput(many=True)
    may_practise = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField(
        help_text="What is still missing before patients can book this doctor."
    )

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
            "years_of_practice",
            "bio",
            "specialties",
            "languages",
            "services",
            "is_suspended",
            "may_practise",
            "problems",
            "created_at",
        ]

    def _problems(self, doctor: DoctorProfile) -> list[str]:
        cached: list[str] | None = getattr(doctor, "_onboarding_problems", None)
        if cached is None:
            cached = doctor_practice_problems(doctor=doctor)
            doctor._onboarding_problems = cached  # type: ignore[attr-defined]
        return cached

    def get_may_practise(self, doctor: DoctorProfile) -> bool:
        return not self._problems(doctor)

    def get_problems(self, doctor: DoctorProfile) -> list[str]:
        return self._problems(doctor)


class CredentialOutput(ModelOutputSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    status_display = serializers.CharField(source="get_status_display")
    scan_url = serializers.SerializerMethodField()

    class Meta:
        model = Credential
        fields = [
            "id",
            "kind",
            "kind_display",
            "number",
            "authority",
            "issued_on",
            "expires_on",
            "practice_scope",
            "registered_institution",
            "status",
            "status_display",
            "rejection_reason",
            "reviewed_at",
            "created_at",
            "scan_url",
        ]

    def get_scan_url(self, credential: Credential) -> str:
        return f"/api/v1/me/credentials/{credential.pk}/scan/"


class DoctorServiceInput(serializers.Serializer):
    mode = serializers.ChoiceField(choices=ConsultationMode.choices)
    fee = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)


class DoctorApplicationInput(serializers.Serializer):
    name = serializers.CharField(max_length=50, help_text="As on the certificates.")
    department = serializers.IntegerField(help_text="Department id (GET /api/v1/departments/).")
    title = serializers.ChoiceField(choices=DoctorProfile.Title.choices)
    tier = serializers.ChoiceField(
        choices=DoctorProfile.Tier.choices,
        help_text="The tier asked for; operators may change it.",
    )
    years_of_practice = serializers.IntegerField(min_value=0, max_value=70)
    bio = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    specialties = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    languages = serializers.ListField(
        child=serializers.RegexField(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$", max_length=12),
        required=False,
        max_length=8,
        default=["zh"],
        help_text="Language codes, e.g. zh, en.",
    )
    services = DoctorServiceInput(many=True, help_text="The consultation modes offered and fees.")

    def validate_languages(self, codes: list[str]) -> list[str]:
        if len(",".join(codes)) > DoctorProfile._meta.get_field("languages").max_length:  # type: ignore[operator]
            raise serializers.ValidationError(_("Too many languages."))
        return codes


class CredentialInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Credential.Kind.choices)
    number = serializers.CharField(max_length=40)
    authority = serializers.CharField(max_length=100)
    issued_on = serializers.DateField()
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    practice_scope = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Practice certificate only (required there).",
    )
    registered_institution = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Practice certificate only (required there).",
    )
    scan = serializers.FileField(
        help_text="PDF, JPEG or PNG, at most 10 MB (checked from content)."
    )


def _own_doctor(user: Any) -> DoctorProfile:
    doctor = selectors.doctor_profile_for_user(user=user)
    if doctor is None:
        raise NotFound(str(_("This account has not applied to practise.")))
    return doctor


class DoctorApplicationApi(APIView):
    @extend_schema(
        operation_id="doctor_application_retrieve",
        summary="The account's own application to practise, and what it still lacks",
        responses=DoctorApplicationOutput,
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        return Response(DoctorApplicationOutput(_own_doctor(request.user)).data)

    @extend_schema(
        operation_id="doctor_application_create",
        summary="Apply to practise (once per account; 409 on a second application)",
        request=DoctorApplicationInput,
        responses={201: DoctorApplicationOutput},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = DoctorApplicationInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        doctor = doctor_apply(user=request.user, department_id=fields.pop("department"), **fields)
        return Response(DoctorApplicationOutput(doctor).data, status=201)


class CredentialListCreateApi(GenericAPIView):
    serializer_class = CredentialOutput
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="my_credential_list",
        summary="The doctor's own credentials, each kind newest first, with review outcome",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(credential_list_own(doctor=_own_doctor(request.user)))
        return self.get_paginated_response(CredentialOutput(page, many=True).data)

    @extend_schema(
        operation_id="my_credential_create",
        summary="File a certificate for review (multipart; after a rejection, file it again)",
        request={"multipart/form-data": CredentialInput},
        responses={201: CredentialOutput},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = CredentialInput(data=request.data)
        data.is_valid(raise_exception=True)
        credential = doctor_credential_submit(user=request.user, **data.validated_data)
        return Response(CredentialOutput(credential).data, status=201)


class CredentialDetailApi(APIView):
    @extend_schema(operation_id="my_credential_retrieve", responses=CredentialOutput, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        credential = credential_get_own(doctor=_own_doctor(request.user), credential_id=pk)
        return Response(CredentialOutput(credential).data)


def credential_scan_response(*, user: Any, credential_id: int) -> FileResponse:
    """The doctor's own scan (the API and the credentials page share it)."""
    credential = credential_get_own(doctor=_own_doctor(user), credential_id=credential_id)
    extension = (credential.scan.name or "").rsplit(".", 1)[-1].lower()
    content_type = {
        "pdf": "application/pdf",
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
    }.get(extension, "application/octet-stream")
    response = FileResponse(
        credential.scan.open("rb"),
        content_type=content_type,
        as_attachment=True,
        filename=f"credential-{credential.pk}-{credential.kind}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class CredentialScanApi(APIView):
    @extend_schema(
        operation_id="my_credential_scan",
        summary="The scan filed with one of the doctor's own credentials",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        return credential_scan_response(user=request.user, credential_id=pk)
