"""Routes of doctors, departments, onboarding and credentials: the pages (`urlpatterns`, under the
hospital namespace) and the API (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path

from hospital.doctors import api, pages

urlpatterns = [
    path("doctors/", pages.doctor_list, name="doctor-list"),
    path("doctor/apply/", pages.doctor_apply_page, name="doctor-apply"),
    path("doctor/credentials/", pages.doctor_credentials_page, name="doctor-credentials"),
    path(
        "doctor/credentials/upload/<slug:kind>/",
        pages.doctor_credential_upload,
        name="doctor-credential-upload",
    ),
    path(
        "doctor/credentials/<int:pk>/scan/",
        pages.doctor_credential_scan,
        name="doctor-credential-scan",
    ),
]

api_urlpatterns = [
    path("departments/", api.DepartmentListApi.as_view(), name="department-list"),
    path("doctor-tiers/", api.TierPolicyListApi.as_view(), name="doctor-tier-list"),
    path("doctors/", api.DoctorListApi.as_view(), name="doctor-list"),
    path("doctors/<int:pk>/", api.DoctorDetailApi.as_view(), name="doctor-detail"),
    path(
        "me/doctor-application/",
        api.DoctorApplicationApi.as_view(),
        name="doctor-application",
    ),
    path("me/credentials/", api.CredentialListCreateApi.as_view(), name="my-credential-list"),
    path(
        "me/credentials/<int:pk>/", api.CredentialDetailApi.as_view(), name="my-credential-detail"
    ),
    path(
        "me/credentials/<int:pk>/scan/", api.CredentialScanApi.as_view(), name="my-credential-scan"
    ),
]
