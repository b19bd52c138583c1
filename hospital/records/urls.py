"""Routes of the health record, its access log, FHIR export, chronic care: the pages
(`urlpatterns`, under the hospital namespace) and the API (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path

from hospital.records import pages
from hospital.records.api import views


def _patient_path(suffix: str) -> str:
    return f"patients/<int:id>/{suffix}"


urlpatterns = [
    path("records/", pages.record_home, name="record-home"),
    path("records/<int:patient_id>/", pages.record_overview, name="record"),
    path("records/<int:patient_id>/add/<slug:kind>/", pages.record_add, name="record-add"),
    path(
        "records/<int:patient_id>/documents/<int:document_id>/download/",
        pages.record_document_download,
        name="record-document-download",
    ),
    path(
        "records/<int:patient_id>/access-log/",
        pages.record_access_log_page,
        name="record-access-log",
    ),
    path(
        "records/<int:patient_id>/devices/pairing-code/",
        pages.record_device_pairing_code,
        name="record-device-pairing-code",
    ),
    path(
        "records/<int:patient_id>/devices/<int:device_id>/revoke/",
        pages.record_device_revoke,
        name="record-device-revoke",
    ),
    path(
        "records/<int:patient_id>/test-schedules/",
        pages.record_test_schedule_set,
        name="record-test-schedule-set",
    ),
    path(
        "records/<int:patient_id>/test-schedules/<int:schedule_id>/stop/",
        pages.record_test_schedule_stop,
        name="record-test-schedule-stop",
    ),
    path("doctor/chronic-care/", pages.chronic_care_panel, name="chronic-care"),
]

api_urlpatterns = [
    path(
        "me/devices/pairing-codes/",
        views.DevicePairingCodeApi.as_view(),
        name="device-pairing-codes",
    ),
    path("me/devices/", views.DeviceListApi.as_view(), name="devices"),
    path("me/devices/<int:id>/", views.DeviceDetailApi.as_view(), name="device"),
    path("devices/pair/", views.DevicePairApi.as_view(), name="device-pair"),
    path("devices/readings/", views.DeviceReadingApi.as_view(), name="device-readings"),
    path(_patient_path("record/"), views.RecordApi.as_view(), name="patient-record"),
    path(
        _patient_path("allergies/"), views.AllergyListCreateApi.as_view(), name="patient-allergies"
    ),
    path(
        _patient_path("allergies/<int:item_id>/"),
        views.AllergyStatusApi.as_view(),
        name="patient-allergy",
    ),
    path(
        _patient_path("conditions/"),
        views.ConditionListCreateApi.as_view(),
        name="patient-conditions",
    ),
    path(
        _patient_path("conditions/<int:item_id>/"),
        views.ConditionUpdateApi.as_view(),
        name="patient-condition",
    ),
    path(
        _patient_path("medications/"),
        views.MedicationListCreateApi.as_view(),
        name="patient-medications",
    ),
    path(
        _patient_path("medications/<int:item_id>/"),
        views.MedicationStatusApi.as_view(),
        name="patient-medication",
    ),
    path(_patient_path("readings/"), views.ReadingListCreateApi.as_view(), name="patient-readings"),
    path(
        _patient_path("device-test-schedules/"),
        views.DeviceTestScheduleListCreateApi.as_view(),
        name="patient-device-test-schedules",
    ),
    path(
        "device-test-schedules/<int:id>/stop/",
        views.DeviceTestScheduleStopApi.as_view(),
        name="device-test-schedule-stop",
    ),
    path(
        _patient_path("readings/<int:item_id>/entered-in-error/"),
        views.ReadingEnteredInErrorApi.as_view(),
        name="patient-reading-entered-in-error",
    ),
    path(
        _patient_path("documents/"),
        views.MedicalDocumentListCreateApi.as_view(),
        name="patient-documents",
    ),
    path(
        _patient_path("documents/<int:item_id>/download/"),
        views.MedicalDocumentDownloadApi.as_view(),
        name="patient-document-download",
    ),
    path(
        _patient_path("documents/<int:item_id>/entered-in-error/"),
        views.MedicalDocumentEnteredInErrorApi.as_view(),
        name="patient-document-entered-in-error",
    ),
    path(
        _patient_path("clinical-profile/"),
        views.ClinicalProfileApi.as_view(),
        name="patient-clinical-profile",
    ),
    path(_patient_path("access-log/"), views.AccessLogApi.as_view(), name="patient-access-log"),
    path(_patient_path("fhir/"), views.FhirBundleApi.as_view(), name="patient-fhir"),
    path("chronic-care/", views.ChronicCareApi.as_view(), name="chronic-care"),
]
