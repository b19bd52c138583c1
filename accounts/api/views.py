from __future__ import annotations

from typing import cast

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import (
    PatientProfileCreateInput,
    PatientProfileDetailOutput,
    PatientProfileListOutput,
    PatientProfileUpdateInput,
)
from accounts.models import User
from accounts.selectors import patient_profile_get, patient_profile_list
from accounts.services import patient_profile_create, patient_profile_update
from audit.services import access_log_for_request
from core.api.pagination import PageNumberPagination

TAG = "patients"


def _account(request: Request) -> User:
    # IsAuthenticated (the default permission) has already turned anonymous requests away.
    return cast(User, request.user)


class PatientProfileListCreateApi(APIView):
    """The people (就诊人) this account acts for."""

    @extend_schema(
        tags=[TAG],
        operation_id="me_patients_list",
        summary=_("List the patient profiles this account acts for"),
        description=_(
            "Resident ID numbers are masked in this list; GET one profile for the full number. "
            "Archived profiles are left out unless include_archived=true."
        ),
        parameters=[OpenApiParameter("include_archived", bool, required=False)],
        responses=PatientProfileListOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        include_archived = request.query_params.get("include_archived", "").lower() in {
            "1",
            "true",
            "yes",
        }
        profiles = patient_profile_list(
            account=_account(request), include_archived=include_archived
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(profiles, request, view=self)
        return paginator.get_paginated_response(PatientProfileListOutput(page, many=True).data)

    @extend_schema(
        tags=[TAG],
        operation_id="me_patients_create",
        summary=_("Add a patient profile"),
        description=_(
            "The resident ID number's check digit is verified, and its embedded birth date and "
            "sex must match birth_date and sex. An account has at most one 'self' profile and "
            "each person once (409 otherwise)."
        ),
        request=PatientProfileCreateInput,
        responses={201: PatientProfileDetailOutput},
    )
    def post(self, request: Request) -> Response:
        data = PatientProfileCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        profile = patient_profile_create(account=_account(request), **data.validated_data)
        return Response(PatientProfileDetailOutput(profile).data, status=status.HTTP_201_CREATED)


class PatientProfileDetailUpdateApi(APIView):
    """One patient profile of this account; another account's is a 404."""

    @extend_schema(
        tags=[TAG],
        operation_id="me_patients_retrieve",
        summary=_("Get one patient profile, with the full resident ID number"),
        responses=PatientProfileDetailOutput,
    )
    def get(self, request: Request, id: int) -> Response:
        profile = patient_profile_get(account=_account(request), profile_id=id)
        # The full resident ID number is shown here, so each view of it is on record.
        access_log_for_request(
            request,
            patient_id=profile.pk,
            object_type="accounts.patientprofile",
            object_id=profile.pk,
            action="read",
        )
        return Response(PatientProfileDetailOutput(profile).data)

    @extend_schema(
        tags=[TAG],
        operation_id="me_patients_partial_update",
        summary=_("Change a patient profile, archive (is_archived=true) or restore it"),
        request=PatientProfileUpdateInput,
        responses=PatientProfileDetailOutput,
    )
    def patch(self, request: Request, id: int) -> Response:
        data = PatientProfileUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        profile = patient_profile_update(
            account=_account(request), profile_id=id, **data.validated_data
        )
        return Response(PatientProfileDetailOutput(profile).data)
