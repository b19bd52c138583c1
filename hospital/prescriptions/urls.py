"""Routes of formulary, e-prescriptions, pharmacist review and renewals: the pages (`urlpatterns`,
under the hospital namespace) and the API (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path

from hospital.prescriptions.api import views
from hospital.prescriptions.pages import prescribing, review

urlpatterns = [
    path(
        "rx/<str:token>/", prescribing.prescription_public_verify, name="prescription-public-verify"
    ),
    path(
        "consultations/<int:pk>/prescriptions/new/",
        prescribing.prescription_new,
        name="prescription-new",
    ),
    path(
        "consultations/<int:pk>/prescriptions/check/",
        prescribing.prescription_live_check,
        name="prescription-live-check",
    ),
    path("prescriptions/<int:pk>/", prescribing.prescription_detail, name="prescription-detail"),
    path("prescriptions/<int:pk>/sign/", prescribing.prescription_sign, name="prescription-sign"),
    path(
        "prescriptions/<int:pk>/revise/",
        prescribing.prescription_revise,
        name="prescription-revise",
    ),
    path("prescriptions/<int:pk>/pdf/", prescribing.prescription_pdf, name="prescription-pdf"),
    path("pharmacist/review/", review.review_queue_page, name="review-queue"),
    path("pharmacist/review/next/", review.review_take_next, name="review-take-next"),
    path("pharmacist/review/<int:pk>/", review.review_detail, name="review-detail"),
    path(
        "pharmacist/review/<int:pk>/approve/",
        review.review_decide,
        {"decision": "approve"},
        name="review-approve",
    ),
    path(
        "pharmacist/review/<int:pk>/reject/",
        review.review_decide,
        {"decision": "reject"},
        name="review-reject",
    ),
    path("pharmacist/review/<int:pk>/release/", review.review_release, name="review-release"),
    path(
        "pharmacist/review/<int:pk>/findings/<int:finding_id>/intervention/",
        review.review_intervention,
        name="review-intervention",
    ),
    path("prescriptions/mine/", review.my_prescriptions, name="my-prescriptions"),
    path("prescriptions/<int:pk>/renewal/", review.renewal_request, name="renewal-request"),
    path("doctor/renewals/", review.renewal_queue, name="renewal-queue"),
    path(
        "doctor/renewals/<int:pk>/accept/",
        review.renewal_decide,
        {"decision": "accept"},
        name="renewal-accept",
    ),
    path(
        "doctor/renewals/<int:pk>/decline/",
        review.renewal_decide,
        {"decision": "decline"},
        name="renewal-decline",
    ),
]

api_urlpatterns = [
    path("formulary/drugs/", views.FormularyDrugListApi.as_view(), name="formulary-drug-list"),
    path(
        "consultations/<int:pk>/prescriptions/",
        views.ConsultationPrescriptionCreateApi.as_view(),
        name="consultation-prescription-create",
    ),
    path("prescriptions/", views.PrescriptionListApi.as_view(), name="prescription-list"),
    path(
        "prescriptions/<int:pk>/", views.PrescriptionDetailApi.as_view(), name="prescription-detail"
    ),
    path(
        "prescriptions/<int:pk>/check/",
        views.PrescriptionCheckApi.as_view(),
        name="prescription-check",
    ),
    path(
        "prescriptions/<int:pk>/sign/",
        views.PrescriptionSignApi.as_view(),
        name="prescription-sign",
    ),
    path(
        "prescriptions/<int:pk>/extend/",
        views.PrescriptionExtendApi.as_view(),
        name="prescription-extend",
    ),
    path(
        "prescriptions/<int:pk>/revise/",
        views.PrescriptionReviseApi.as_view(),
        name="prescription-revise",
    ),
    path(
        "prescriptions/<int:pk>/versions/",
        views.PrescriptionVersionsApi.as_view(),
        name="prescription-versions",
    ),
    path(
        "prescriptions/<int:pk>/verify/",
        views.PrescriptionVerifyApi.as_view(),
        name="prescription-verify",
    ),
    path(
        "prescriptions/<int:pk>/pdf/", views.PrescriptionPdfApi.as_view(), name="prescription-pdf"
    ),
    path("review-queue/", views.ReviewQueueApi.as_view(), name="review-queue"),
    path("review-queue/next/", views.ReviewQueueNextApi.as_view(), name="review-queue-next"),
    path(
        "prescriptions/<int:pk>/approve/",
        views.PrescriptionApproveApi.as_view(),
        name="prescription-approve",
    ),
    path(
        "prescriptions/<int:pk>/reject/",
        views.PrescriptionRejectApi.as_view(),
        name="prescription-reject",
    ),
    path(
        "prescriptions/<int:pk>/findings/<int:finding_id>/intervention/",
        views.FindingInterventionApi.as_view(),
        name="finding-intervention",
    ),
    path(
        "prescriptions/<int:pk>/review-release/",
        views.PrescriptionReviewLeaseReleaseApi.as_view(),
        name="prescription-review-release",
    ),
    path(
        "prescriptions/<int:pk>/renewal-requests/",
        views.PrescriptionRenewalRequestApi.as_view(),
        name="prescription-renewal-request",
    ),
    path("renewal-requests/", views.RenewalRequestListApi.as_view(), name="renewal-request-list"),
    path(
        "renewal-requests/<int:pk>/accept/",
        views.RenewalRequestAcceptApi.as_view(),
        name="renewal-request-accept",
    ),
    path(
        "renewal-requests/<int:pk>/decline/",
        views.RenewalRequestDeclineApi.as_view(),
        name="renewal-request-decline",
    ),
]
