"""Pages of hospital, gathered from its domains."""

from hospital.booking import urls as booking
from hospital.consultations import urls as consultations
from hospital.doctors import urls as doctors
from hospital.housecalls import urls as housecalls
from hospital.prescriptions import urls as prescriptions
from hospital.prescriptions.schedule import urls as medication_schedule
from hospital.records import urls as records

app_name = "hospital"
urlpatterns = [
    *doctors.urlpatterns,
    *booking.urlpatterns,
    *consultations.urlpatterns,
    *housecalls.urlpatterns,
    *records.urlpatterns,
    *prescriptions.urlpatterns,
    *medication_schedule.urlpatterns,
]
