from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("me/patients/", views.patient_list, name="patient_list"),
    path("me/patients/add/", views.patient_create, name="patient_create"),
    path("me/patients/<int:profile_id>/edit/", views.patient_edit, name="patient_edit"),
]
