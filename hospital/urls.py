from django.urls import path

from hospital import (
    consultation_pages,
    onboarding_pages,
    prescription_pages,
    record_pages,
    review_pages,
    views,
)

app_name = "hospital"
urlpatterns = [
    path("doctors/", views.doctor_list, name="doctor-list"),
    path("doctors/symptoms/", views.symptom_check, name="symptom-check"),
    path("doctors/<int:pk>/", views.doctor_detail, name="doctor-detail"),
    path("appointments/", views.my_appointments, name="my-appointments"),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment-cancel"),
    path("appointments/<int:pk>/pay/", views.appointment_pay, name="appointment-pay"),
    path("doctor/schedule/", views.doctor_schedule, name="doctor-schedule"),
]
urlpatterns += consultation_pages.urlpatterns
urlpatterns += record_pages.urlpatterns
urlpatterns += onboarding_pages.urlpatterns
urlpatterns += prescription_pages.urlpatterns
urlpatterns += review_pages.urlpatterns
