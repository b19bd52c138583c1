"""Formulary search and the doctor's side of e-prescriptions: one thin view per operation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import access_log_for_request
from hospital import selectors_prescriptions as selectors
from hospital.models import Prescription
from hospital.prescription_pdf import prescription_pdf_response
from hospital.prescription_signing import prescription_signature_check
from hospital.services import prescriptions as services

TAGS = ["prescriptions"]


# --- serializers -------------------------------------------------------------------------------


class FormularyDrugOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    generic_name_zh = serializers.CharField()
    generic_name_en = serializers.CharField()
    ingredients = serializers.ListField(child=serializers.CharField(), source="ingredient_list")
    atc_code = serializers.CharField()
    strength = serializers.CharField()
    dosage_form = serializers.CharField()
    route = serializers.CharField()
    dose_unit = serializers.CharField()
    pack_size = serializers.IntegerField(allow_null=True)
    pack_unit = serializers.CharField()
    rx_class = serializers.CharField()
    control_class = serializers.CharField()
    long_term_allowed = serializers.BooleanField()
    insurance_category = serializers.CharField()


class FormularySearchInput(serializers.Serializer):
    q = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class PrescriptionItemInput(serializers.Serializer):
    drug_code = serializers.CharField(max_length=60)
    dose = serializers.DecimalField(max_digits=10, decimal_places=3)
    dose_unit = serializers.CharField(max_length=20)
    route = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    frequency = serializers.CharField(max_length=12)
    duration_days = serializers.IntegerField(min_value=1, max_value=366)
    quantity_packs = serializers.IntegerField(min_value=1, max_value=services.MAX_PACKS_PER_ITEM)
    instructions = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )


class PrescriptionInput(serializers.Serializer):
    items = PrescriptionItemInput(many=True, allow_empty=False)
    diagnosis_codes = serializers.ListField(
        child=serializers.CharField(max_length=10), allow_empty=False, max_length=10
    )
    long_term_reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    guardian_name = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default=""
    )


class PrescriptionPatchInput(serializers.Serializer):
    items = PrescriptionItemInput(many=True, allow_empty=False, required=False)
    diagnosis_codes = serializers.ListField(
        child=serializers.CharField(max_length=10), allow_empty=False, max_length=10, required=False
    )
    long_term_reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    guardian_name = serializers.CharField(max_length=50, required=False, allow_blank=True)


class PrescriptionSignInput(serializers.Serializer):
    totp_code = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    override_reasons = serializers.DictField(
        child=serializers.CharField(max_length=1000, allow_blank=True),
        required=False,
        default=dict,
        help_text="Reason per major finding, keyed by the finding's rule_id.",
    )


class PrescriptionExtendInput(serializers.Serializer):
    valid_until = serializers.DateField()
    totp_code = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")


class PrescriptionListFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=Prescription.Status.choices, required=False)


class PrescriptionItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    drug_code = serializers.CharField(source="drug.code")
    drug_name_zh = serializers.CharField(source="drug.generic_name_zh")
    drug_name_en = serializers.CharField(source="drug.generic_name_en")
    strength = serializers.CharField(source="drug.strength")
    dose = serializers.DecimalField(max_digits=10, decimal_places=3)
    dose_unit = serializers.CharField()
    route = serializers.CharField()
    frequency = serializers.CharField()
    duration_days = serializers.IntegerField()
    quantity_packs = serializers.IntegerField()
    pack_unit = serializers.CharField(source="drug.pack_unit")
    purchased_packs = serializers.IntegerField()
    instructions = serializers.CharField()


class PrescriptionFindingOutput(serializers.Serializer):
    kind = serializers.CharField()
    severity = serializers.CharField()
    drug_codes = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField()
    message_zh = serializers.CharField()
    management = serializers.CharField()
    # DRF pops declared fields off the class, so this does not shadow Field.source.
    source = serializers.CharField()  # type: ignore[assignment]
    rule_id = serializers.CharField()
    override_reason = serializers.CharField(required=False, default="")


class PrescriptionPatientOutput(serializers.Serializer):
    id = serializers.IntegerField()
    real_name = serializers.CharField()


class PrescriptionDoctorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()


class PrescriptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    version = serializers.IntegerField()
    revision_of = serializers.IntegerField(source="revision_of_id", allow_null=True)
    consultation = serializers.IntegerField(source="consultation_id")
    patient = PrescriptionPatientOutput()
    doctor = PrescriptionDoctorOutput()
    diagnosis_codes = serializers.ListField(child=serializers.CharField())
    supply_days = serializers.IntegerField()
    is_long_term = serializers.BooleanField()
    long_term_reason = serializers.CharField()
    guardian_name = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    signature = serializers.CharField()
    knowledge_version = serializers.CharField()
    risk_rank = serializers.IntegerField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    review_decision_reason = serializers.CharField()
    review_comment = serializers.CharField()
    items = PrescriptionItemOutput(many=True)
    findings = PrescriptionFindingOutput(many=True)
    pdf_url = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_pdf_url(self, prescription: Prescription) -> str:
        return reverse("hospital_api:prescription-pdf", kwargs={"pk": prescription.pk})

    def get_verify_url(self, prescription: Prescription) -> str:
        return reverse("hospital_api:prescription-verify", kwargs={"pk": prescription.pk})


class PrescriptionVersionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    review_decision_reason = serializers.CharField()
    review_comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class PrescriptionCheckOutput(serializers.Serializer):
    available = serializers.BooleanField()
    knowledge_version = serializers.CharField()
    risk_rank = serializers.IntegerField()
    findings = PrescriptionFindingOutput(many=True)


class PrescriptionVerifyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    signed = serializers.BooleanField()
    valid = serializers.BooleanField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    doctor = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True)
    issued_on = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)


BlockedOutput = inline_serializer(
    "PrescriptionBlocked",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "findings": PrescriptionFindingOutput(many=True),
    },
)


# --- helpers -----------------------------------------------------------------------------------


def _content(data: dict[str, Any]) -> services.PrescriptionContent:
    return services.PrescriptionContent(
        items=[services.ItemInput(**item) for item in data["items"]],
        diagnosis_codes=data["diagnosis_codes"],
        long_term_reason=data.get("long_term_reason", ""),
        guardian_name=data.get("guardian_name", ""),
    )


def _detail(request: Request, prescription_id: int, *, status: int = 200) -> Response:
    prescription = selectors.prescription_get_for_user(
        user=request.user, prescription_id=prescription_id
    )
    return Response(PrescriptionOutput(prescription).data, status=status)


def _log(request: Request, prescription: Prescription, action: str, detail: str = "") -> None:
    access_log_for_request(
        request,
        patient_id=prescription.patient_id,
        object_type="prescription",
        object_id=prescription.pk,
        action=action,
        detail=detail,
    )


def session_mfa_verified_at(request: Any) -> dt.datetime | None:
    """When this session last passed a second factor (allauth records logins and
    reauthentications); None when it never did or there is no session."""
    from allauth.account.authentication import get_authentication_records

    http_request = getattr(request, "_request", request)
    if not hasattr(http_request, "session"):
        return None
    times = [
        record.get("at")
        for record in get_authentication_records(http_request, getattr(request, "user", None))
        if record.get("method") == "mfa" and record.get("at")
    ]
    if not times:
        return None
    return dt.datetime.fromtimestamp(max(times), tz=dt.UTC)


# --- views -------------------------------------------------------------------------------------


class FormularyDrugListApi(GenericAPIView):
    serializer_class = FormularyDrugOutput

    @extend_schema(
        operation_id="formulary_drug_list",
        summary="Search the formulary (Chinese or English name, ingredient, code, ATC prefix)",
        description="Drugs of a forbidden control class (narcotic, psychotropic …) are never "
        "listed: they cannot be prescribed online.",
        parameters=[OpenApiParameter("q", str)],
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = FormularySearchInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.formulary_search(q=filters.validated_data["q"]))
        return self.get_paginated_response(FormularyDrugOutput(page, many=True).data)


class ConsultationPrescriptionCreateApi(APIView):
    @extend_schema(
        operation_id="consultation_prescription_create",
        summary="Draft a prescription in this consultation (treating doctor only)",
        request=PrescriptionInput,
        responses={201: PrescriptionOutput},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = PrescriptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        prescription = services.prescription_create(
            doctor_user=request.user, consultation_id=pk, content=_content(data.validated_data)
        )
        return _detail(request, prescription.pk, status=201)


class PrescriptionListApi(GenericAPIView):
    serializer_class = PrescriptionOutput

    @extend_schema(
        operation_id="prescription_list",
        summary="The doctor's own prescriptions, or those of the patients this account acts for",
        parameters=[OpenApiParameter("status", str, enum=Prescription.Status.values)],
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = PrescriptionListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.prescription_list_for_user(
            user=request.user, status=filters.validated_data.get("status", "")
        )
        page = self.paginate_queryset(queryset) or []
        access_log_for_request(
            request,
            patient_id=None,
            object_type="prescription",
            object_id=None,
            action="list",
            detail=f"{len(page)} prescriptions",
        )
        return self.get_paginated_response(PrescriptionOutput(page, many=True).data)


class PrescriptionDetailApi(APIView):
    @extend_schema(operation_id="prescription_retrieve", responses=PrescriptionOutput, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        prescription = selectors.prescription_get_for_user(user=request.user, prescription_id=pk)
        data = PrescriptionOutput(prescription).data
        _log(request, prescription, "read")
        return Response(data)

    @extend_schema(
        operation_id="prescription_update",
        summary="Change a draft (its doctor only); the content is checked again",
        request=PrescriptionPatchInput,
        responses=PrescriptionOutput,
        tags=TAGS,
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = PrescriptionPatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.prescription_update(
            doctor_user=request.user,
            prescription_id=pk,
            items=[services.ItemInput(**i) for i in v["items"]] if "items" in v else None,
            diagnosis_codes=v.get("diagnosis_codes"),
            long_term_reason=v.get("long_term_reason"),
            guardian_name=v.get("guardian_name"),
        )
        return _detail(request, pk)


class PrescriptionCheckApi(APIView):
    @extend_schema(
        operation_id="prescription_check",
        summary="Run decision support on the draft again (no signing)",
        request=None,
        responses={
            200: PrescriptionCheckOutput,
            503: OpenApiResponse(description="knowledge unavailable"),
        },
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        result = services.prescription_check(doctor_user=request.user, prescription_id=pk)
        prescription = selectors.prescription_get_for_user(user=request.user, prescription_id=pk)
        return Response(
            PrescriptionCheckOutput(
                {
                    "available": result.available,
                    "knowledge_version": result.knowledge_version,
                    "risk_rank": prescription.risk_rank,
                    "findings": list(prescription.findings.all()),
                }
            ).data
        )


class PrescriptionSignApi(APIView):
    @extend_schema(
        operation_id="prescription_sign",
        summary="Sign the draft (treating doctor, with a second factor) and send it for review",
        description="Give `totp_code` from the authenticator app, unless this session passed "
        "a second factor within the last 5 minutes. A contraindicated finding refuses signing "
        "(409 with the findings); each major finding needs a reason in `override_reasons`, "
        "keyed by its `rule_id`. 503 when decision support cannot run.",
        request=PrescriptionSignInput,
        responses={
            200: PrescriptionOutput,
            409: BlockedOutput,
            503: OpenApiResponse(description="decision support unavailable"),
        },
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = PrescriptionSignInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.prescription_sign(
                doctor_user=request.user,
                prescription_id=pk,
                totp_code=data.validated_data["totp_code"],
                mfa_verified_at=session_mfa_verified_at(request),
                override_reasons=data.validated_data["override_reasons"],
            )
        except services.PrescriptionBlocked as blocked:
            return Response(
                {
                    "detail": blocked.message,
                    "code": blocked.code,
                    "findings": PrescriptionFindingOutput(blocked.findings, many=True).data,
                },
                status=409,
            )
        return _detail(request, pk)


class PrescriptionExtendApi(APIView):
    @extend_schema(
        operation_id="prescription_extend",
        summary="Extend a signed prescription's validity (at most 3 days from issue)",
        request=PrescriptionExtendInput,
        responses=PrescriptionOutput,
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = PrescriptionExtendInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.prescription_extend(
            doctor_user=request.user,
            prescription_id=pk,
            valid_until=data.validated_data["valid_until"],
            totp_code=data.validated_data["totp_code"],
            mfa_verified_at=session_mfa_verified_at(request),
        )
        return _detail(request, pk)


class PrescriptionReviseApi(APIView):
    @extend_schema(
        operation_id="prescription_revise",
        summary="Revise a rejected prescription into a new draft version",
        request=None,
        responses={201: PrescriptionOutput},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        revision = services.prescription_revise(doctor_user=request.user, prescription_id=pk)
        return _detail(request, revision.pk, status=201)


class PrescriptionVersionsApi(APIView):
    @extend_schema(
        operation_id="prescription_versions",
        summary="Every version of this prescription, oldest first",
        responses=PrescriptionVersionOutput(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        prescription = selectors.prescription_get_for_user(user=request.user, prescription_id=pk)
        versions = [
            v
            for v in selectors.prescription_versions(prescription=prescription)
            if v.pk == prescription.pk
            or v.status not in selectors.UNSIGNED_STATUSES
            or prescription.doctor.user_id == request.user.pk
        ]
        return Response(PrescriptionVersionOutput(versions, many=True).data)


class PrescriptionVerifyApi(APIView):
    @extend_schema(
        operation_id="prescription_verify",
        summary="Whether the prescription's signature still matches its content",
        responses=PrescriptionVerifyOutput,
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        prescription = selectors.prescription_get_for_user(user=request.user, prescription_id=pk)
        check = prescription_signature_check(prescription)
        _log(request, prescription, "read", f"signature {'valid' if check.valid else 'INVALID'}")
        return Response(
            PrescriptionVerifyOutput(
                {
                    "id": prescription.pk,
                    "signed": check.signed,
                    "valid": check.valid,
                    "status": prescription.status,
                    "version": prescription.version,
                    "doctor": prescription.doctor.name,
                    "signed_at": prescription.signed_at,
                    "issued_on": prescription.issued_on,
                    "valid_until": prescription.valid_until,
                }
            ).data
        )


class PrescriptionPdfApi(APIView):
    @extend_schema(
        operation_id="prescription_pdf",
        summary="The prescription as a PDF (处方笺)",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Any:
        prescription = selectors.prescription_get_for_user(user=request.user, prescription_id=pk)
        return prescription_pdf_response(request, prescription)


urlpatterns = [
    path("formulary/drugs/", FormularyDrugListApi.as_view(), name="formulary-drug-list"),
    path(
        "consultations/<int:pk>/prescriptions/",
        ConsultationPrescriptionCreateApi.as_view(),
        name="consultation-prescription-create",
    ),
    path("prescriptions/", PrescriptionListApi.as_view(), name="prescription-list"),
    path("prescriptions/<int:pk>/", PrescriptionDetailApi.as_view(), name="prescription-detail"),
    path(
        "prescriptions/<int:pk>/check/",
        PrescriptionCheckApi.as_view(),
        name="prescription-check",
    ),
    path("prescriptions/<int:pk>/sign/", PrescriptionSignApi.as_view(), name="prescription-sign"),
    path(
        "prescriptions/<int:pk>/extend/",
        PrescriptionExtendApi.as_view(),
        name="prescription-extend",
    ),
    path(
        "prescriptions/<int:pk>/revise/",
        PrescriptionReviseApi.as_view(),
        name="prescription-revise",
    ),
    path(
        "prescriptions/<int:pk>/versions/",
        PrescriptionVersionsApi.as_view(),
        name="prescription-versions",
    ),
    path(
        "prescriptions/<int:pk>/verify/",
        PrescriptionVerifyApi.as_view(),
        name="prescription-verify",
    ),
    path("prescriptions/<int:pk>/pdf/", PrescriptionPdfApi.as_view(), name="prescription-pdf"),
]
