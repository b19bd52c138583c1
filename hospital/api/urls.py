from django.urls import path

from hospital.api import consultations, onboarding, prescriptions, records, review, views

app_name = "hospital_api"
urlpatterns = [
    path("departments/", views.DepartmentListApi.as_view(), name="department-list"),
    path("departments/suggest/", views.SymptomCheckApi.as_view(), name="symptom-check"),
    path("doctors/", views.DoctorListApi.as_view(), name="doctor-list"),
    path("doctors/<int:pk>/", views.DoctorDetailApi.as_view(), name="doctor-detail"),
    path("doctors/<int:pk>/slots/", views.DoctorSlotListApi.as_view(), name="doctor-slots"),
    path("appointments/", views.AppointmentListCreateApi.as_view(), name="appointment-list"),
    path("appointments/<int:pk>/", views.AppointmentDetailApi.as_view(), name="appointment-detail"),
    path(
        "appointments/<int:pk>/cancel/",
        views.AppointmentCancelApi.as_view(),
        name="appointment-cancel",
    ),
    path(
        "appointments/<int:pk>/reschedule/",
        views.AppointmentRescheduleApi.as_view(),
        name="appointment-reschedule",
    ),
    path("appointments/<int:pk>/pay/", views.AppointmentPayApi.as_view(), name="appointment-pay"),
]
urlpatterns += consultations.urlpatterns
urlpatterns += records.urlpatterns
urlpatterns += onboarding.urlpatterns
urlpatterns += prescriptions.urlpatterns
urlpatterns += review.urlpatterns
