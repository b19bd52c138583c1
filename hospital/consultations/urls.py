"""Routes of consultations, quick consults, chat, video and phone: the pages (`urlpatterns`, under
the hospital namespace) and the API (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path

from hospital.consultations import care_team_pages, pages
from hospital.consultations.api import mdt as mdt_api
from hospital.consultations.api import referrals as referral_api
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
    path("doctor/mdt/", care_team_pages.mdt_queue, name="mdt-queue"),
    path("consultations/<int:pk>/mdt/", care_team_pages.mdt_invite, name="mdt-invite"),
    path("mdt/<int:pk>/", care_team_pages.mdt_detail, name="mdt-detail"),
    path("mdt/<int:pk>/action/", care_team_pages.mdt_action, name="mdt-action"),
    path(
        "consultations/<int:pk>/referrals/new/",
        care_team_pages.referral_new,
        name="referral-new",
    ),
    path("referrals/", care_team_pages.referral_list, name="referral-list"),
    path("referrals/<int:pk>/", care_team_pages.referral_detail, name="referral-detail"),
    path("referrals/<int:pk>/action/", care_team_pages.referral_action, name="referral-action"),
    path(
        "referrals/<int:pk>/letter.pdf",
        care_team_pages.referral_letter_pdf,
        name="referral-letter-pdf",
    ),
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
    path(
        "consultations/<int:pk>/mdt/", mdt_api.ConsultationMdtApi.as_view(), name="consultation-mdt"
    ),
    path("mdt/", mdt_api.MdtListApi.as_view(), name="mdt-list"),
    path("mdt/<int:pk>/", mdt_api.MdtDetailApi.as_view(), name="mdt-detail"),
    path("mdt/<int:pk>/accept/", mdt_api.MdtAcceptApi.as_view(), name="mdt-accept"),
    path("mdt/<int:pk>/decline/", mdt_api.MdtDeclineApi.as_view(), name="mdt-decline"),
    path("mdt/<int:pk>/opinion/", mdt_api.MdtOpinionApi.as_view(), name="mdt-opinion"),
    path("mdt/<int:pk>/close/", mdt_api.MdtCloseApi.as_view(), name="mdt-close"),
    path(
        "partner-departments/",
        referral_api.PartnerDepartmentListApi.as_view(),
        name="partner-department-list",
    ),
    path(
        "consultations/<int:pk>/referrals/",
        referral_api.ConsultationReferralCreateApi.as_view(),
        name="consultation-referral-create",
    ),
    path("referrals/", referral_api.ReferralListApi.as_view(), name="referral-list"),
    path("referrals/<int:pk>/", referral_api.ReferralDetailApi.as_view(), name="referral-detail"),
    path(
        "referrals/<int:pk>/letter/",
        referral_api.ReferralLetterApi.as_view(),
        name="referral-letter",
    ),
    path(
        "referrals/<int:pk>/slots/", referral_api.ReferralSlotsApi.as_view(), name="referral-slots"
    ),
    path("referrals/<int:pk>/book/", referral_api.ReferralBookApi.as_view(), name="referral-book"),
    path(
        "referrals/<int:pk>/outcome/",
        referral_api.ReferralOutcomeApi.as_view(),
        name="referral-outcome",
    ),
    path(
        "referrals/<int:pk>/cancel/",
        referral_api.ReferralCancelApi.as_view(),
        name="referral-cancel",
    ),
]
