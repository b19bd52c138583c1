"""Routes of finding and booking a doctor, appointments, the doctor's schedule: the pages
(`urlpatterns`, under the hospital namespace) and the API (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path

from hospital.booking import api, expert_pages, pages

urlpatterns = [
    path("doctors/symptoms/", pages.symptom_check, name="symptom-check"),
    path("doctors/<int:pk>/", pages.doctor_detail, name="doctor-detail"),
    path("appointments/", pages.my_appointments, name="my-appointments"),
    path("appointments/<int:pk>/cancel/", pages.appointment_cancel, name="appointment-cancel"),
    path("appointments/<int:pk>/pay/", pages.appointment_pay, name="appointment-pay"),
    path("doctor/schedule/", pages.doctor_schedule, name="doctor-schedule"),
    path(
        "doctors/<int:pk>/expert-request/",
        expert_pages.expert_request_new,
        name="expert-request-new",
    ),
    path("expert-requests/", expert_pages.my_expert_requests, name="my-expert-requests"),
    path(
        "expert-requests/<int:pk>/pay/", expert_pages.expert_request_pay, name="expert-request-pay"
    ),
    path(
        "expert-requests/<int:pk>/cancel/",
        expert_pages.expert_request_cancel,
        name="expert-request-cancel",
    ),
    path("assistant/expert-requests/", expert_pages.assistant_queue, name="assistant-queue"),
    path(
        "assistant/expert-requests/<int:pk>/confirm/",
        expert_pages.assistant_confirm,
        name="assistant-confirm",
    ),
    path(
        "assistant/expert-requests/<int:pk>/decline/",
        expert_pages.assistant_decline,
        name="assistant-decline",
    ),
]

api_urlpatterns = [
    path("departments/suggest/", api.SymptomCheckApi.as_view(), name="symptom-check"),
    path("doctors/<int:pk>/slots/", api.DoctorSlotListApi.as_view(), name="doctor-slots"),
    path("appointments/", api.AppointmentListCreateApi.as_view(), name="appointment-list"),
    path("appointments/<int:pk>/", api.AppointmentDetailApi.as_view(), name="appointment-detail"),
    path(
        "appointments/<int:pk>/cancel/",
        api.AppointmentCancelApi.as_view(),
        name="appointment-cancel",
    ),
    path(
        "appointments/<int:pk>/reschedule/",
        api.AppointmentRescheduleApi.as_view(),
        name="appointment-reschedule",
    ),
    path("appointments/<int:pk>/pay/", api.AppointmentPayApi.as_view(), name="appointment-pay"),
    path("expert-requests/", api.ExpertRequestListCreateApi.as_view(), name="expert-request-list"),
    path(
        "expert-requests/<int:pk>/",
        api.ExpertRequestDetailApi.as_view(),
        name="expert-request-detail",
    ),
    path(
        "expert-requests/<int:pk>/pay/",
        api.ExpertRequestPayApi.as_view(),
        name="expert-request-pay",
    ),
    path(
        "expert-requests/<int:pk>/cancel/",
        api.ExpertRequestCancelApi.as_view(),
        name="expert-request-cancel",
    ),
    path(
        "assistant/expert-requests/",
        api.AssistantRequestListApi.as_view(),
        name="assistant-expert-request-list",
    ),
    path(
        "assistant/expert-requests/<int:pk>/confirm/",
        api.AssistantRequestConfirmApi.as_view(),
        name="assistant-expert-request-confirm",
    ),
    path(
        "assistant/expert-requests/<int:pk>/decline/",
        api.AssistantRequestDeclineApi.as_view(),
        name="assistant-expert-request-decline",
    ),
]
