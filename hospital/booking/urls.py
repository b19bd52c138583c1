"""Routes of finding and booking a doctor, appointments, the doctor's schedule: the pages
(`urlpatterns`, under the hospital namespace) and the API (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path

from hospital.booking import api, pages

urlpatterns = [
    path("doctors/symptoms/", pages.symptom_check, name="symptom-check"),
    path("doctors/<int:pk>/", pages.doctor_detail, name="doctor-detail"),
    path("appointments/", pages.my_appointments, name="my-appointments"),
    path("appointments/<int:pk>/cancel/", pages.appointment_cancel, name="appointment-cancel"),
    path("appointments/<int:pk>/pay/", pages.appointment_pay, name="appointment-pay"),
    path("doctor/schedule/", pages.doctor_schedule, name="doctor-schedule"),
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
]
