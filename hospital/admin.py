"""The operators' admin of hospital: each domain registers its own; importing them here is what
makes admin autodiscovery find them."""

from hospital.booking import admin as booking_admin  # noqa: F401
from hospital.consultations import admin as consultations_admin  # noqa: F401
from hospital.doctors import admin as doctors_admin  # noqa: F401
from hospital.housecalls import admin as housecalls_admin  # noqa: F401
from hospital.prescriptions import admin as prescriptions_admin  # noqa: F401
from hospital.prescriptions.schedule import admin as medication_schedule_admin  # noqa: F401
from hospital.records import admin as records_admin  # noqa: F401
