"""API of hospital under /api/v1/, gathered from its domains."""

from hospital.booking import urls as booking
from hospital.consultations import urls as consultations
from hospital.doctors import urls as doctors
from hospital.housecalls import urls as housecalls
from hospital.prescriptions import urls as prescriptions
from hospital.prescriptions.schedule import urls as medication_schedule
from hospital.records import urls as records

app_name = "hospital_api"
urlpatterns = [
    *doctors.api_urlpatterns,
    *booking.api_urlpatterns,
    *consultations.api_urlpatterns,
    *housecalls.api_urlpatterns,
    *records.api_urlpatterns,
    *prescriptions.api_urlpatterns,
    *medication_schedule.api_urlpatterns,
]
