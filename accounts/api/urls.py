from django.urls import path

from accounts.api import views

app_name = "accounts_api"
urlpatterns = [
    path("me/patients/", views.PatientProfileListCreateApi.as_view(), name="patient_list"),
    path(
        "me/patients/<int:id>/",
        views.PatientProfileDetailUpdateApi.as_view(),
        name="patient_detail",
    ),
]
