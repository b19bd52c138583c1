from django.urls import path

from accounts import pages

app_name = "accounts"
urlpatterns = [
    path("me/patients/", pages.patient_list, name="patient_list"),
    path("me/patients/add/", pages.patient_create, name="patient_create"),
    path("me/patients/<int:profile_id>/edit/", pages.patient_edit, name="patient_edit"),
]
