"""API of hospital under /api/v1/, gathered from its domains."""

from hospital.booking import urls as booking
from hospital.consultations import urls as consultations
from hospital.doctors import urls as doctors
from hospital.prescriptions import urls as prescriptions
from hospital.records import urls as records

app_name = "hospital_api"
urlpatterns = [
    *doctors.api_urlpatterns,
    *booking.api_urlpatterns,
    *consultations.api_urlpatterns,
    *records.api_urlpatterns,
    *prescriptions.api_urlpatterns,
]
