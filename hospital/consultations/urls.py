"""Routes of consultations, quick consults, chat, video and phone: the pages (`urlpatterns`, under
the hospital namespace) and the API (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path

from hospital.consultations import pages
from hospital.consultations.api import views

urlpatterns = [
    path("consultations/", pages.consultation_list, name="consultation-list"),
    path("consultations/<int:pk>/", pages.consultation_detail, name="consultation-detail"),
    path("consultations/<int:pk>/poll/", pages.consultation_messages, name="consultation-poll"),
    path("consultations/<int:pk>/messages/", pages.consultation_post, name="consultation-post"),
    path(
        "consultations/<int:pk>/attachments/<int:message_id>/",
        pages.consultation_attachment,
        name="consultation-attachment",
    ),
    path("consultations/<int:pk>/action/", pages.consultation_action, name="consultation-action"),
    path(
        "consultations/<int:pk>/summary/", pages.consultation_summary, name="consultation-summary"
    ),
    path(
        "consultations/<int:pk>/summary.pdf",
        pages.consultation_summary_pdf,
        name="consultation-summary-pdf",
    ),
    path(
        "appointments/<int:pk>/consultation/",
        pages.appointment_open,
        name="appointment-consultation",
    ),
    path("doctor/consultations/", pages.doctor_consultations, name="doctor-consultations"),
]

api_urlpatterns = [
    path("consultations/", views.ConsultationListApi.as_view(), name="consultation-list"),
    path(
        "consultations/<int:pk>/", views.ConsultationDetailApi.as_view(), name="consultation-detail"
    ),
    path(
        "consultations/<int:pk>/claim/",
        views.ConsultationClaimApi.as_view(),
        name="consultation-claim",
    ),
    path(
        "consultations/<int:pk>/cancel/",
        views.ConsultationCancelApi.as_view(),
        name="consultation-cancel",
    ),
    path(
        "consultations/<int:pk>/messages/",
        views.ConsultationMessagesApi.as_view(),
        name="consultation-messages",
    ),
    path(
        "consultations/<int:pk>/messages/<int:message_id>/attachment/",
        views.ConsultationAttachmentApi.as_view(),
        name="consultation-message-attachment",
    ),
    path(
        "consultations/<int:pk>/diagnoses/",
        views.ConsultationDiagnosesApi.as_view(),
        name="consultation-diagnoses",
    ),
    path(
        "consultations/<int:pk>/follow-up/",
        views.ConsultationFollowUpApi.as_view(),
        name="consultation-follow-up",
    ),
    path(
        "consultations/<int:pk>/close/",
        views.ConsultationCloseApi.as_view(),
        name="consultation-close",
    ),
    path(
        "consultations/<int:pk>/refer/",
        views.ConsultationReferApi.as_view(),
        name="consultation-refer",
    ),
    path(
        "consultations/<int:pk>/rating/",
        views.ConsultationRatingApi.as_view(),
        name="consultation-rating",
    ),
    path(
        "consultations/<int:pk>/video/join/",
        views.ConsultationVideoJoinApi.as_view(),
        name="consultation-video-join",
    ),
    path(
        "consultations/<int:pk>/phone/",
        views.ConsultationPhoneApi.as_view(),
        name="consultation-phone",
    ),
    path(
        "consultations/<int:pk>/summary/pdf/",
        views.ConsultationSummaryPdfApi.as_view(),
        name="consultation-summary-pdf",
    ),
    path(
        "appointments/<int:pk>/consultation/",
        views.AppointmentConsultationOpenApi.as_view(),
        name="appointment-consultation-open",
    ),
    path("quick-consults/", views.QuickConsultRequestApi.as_view(), name="quick-consult-create"),
    path("quick-consults/queue/", views.QuickConsultQueueApi.as_view(), name="quick-consult-queue"),
    path(
        "quick-consults/next/",
        views.QuickConsultClaimNextApi.as_view(),
        name="quick-consult-claim-next",
    ),
]
