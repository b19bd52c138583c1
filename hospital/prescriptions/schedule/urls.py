"""Routes of the medication schedule: pages (`urlpatterns`, hospital namespace) and the API
(`api_urlpatterns`, under /api/v1/)."""

from django.urls import path

from hospital.prescriptions.schedule import pages
from hospital.prescriptions.schedule.api import views

urlpatterns = [
    path("medications/", pages.medications_today, name="medications"),
    path(
        "medications/schedules/<int:pk>/times/",
        pages.schedule_times,
        name="medication-schedule-times",
    ),
    path("medications/doses/<int:pk>/<str:action>/", pages.dose_action, name="medication-dose"),
    path(
        "doctor/patients/<int:patient_id>/adherence/",
        pages.doctor_patient_adherence,
        name="doctor-patient-adherence",
    ),
]

api_urlpatterns = [
    path(
        "medication-schedule/",
        views.MedicationScheduleListApi.as_view(),
        name="medication-schedule-list",
    ),
    path(
        "medication-schedule/<int:pk>/times/",
        views.MedicationScheduleTimesApi.as_view(),
        name="medication-schedule-times",
    ),
    path(
        "medication-doses/<int:pk>/taken/",
        views.MedicationDoseTakenApi.as_view(),
        name="medication-dose-taken",
    ),
    path(
        "medication-doses/<int:pk>/snooze/",
        views.MedicationDoseSnoozeApi.as_view(),
        name="medication-dose-snooze",
    ),
    path(
        "patients/<int:patient_id>/adherence/",
        views.PatientAdherenceApi.as_view(),
        name="patient-adherence",
    ),
]
