from hospital.models.appointments import Appointment, AppointmentEvent
from hospital.models.doctors import (
    ConsultationMode,
    Credential,
    Department,
    DoctorProfile,
    DoctorService,
)
from hospital.models.schedules import ScheduleException, Slot, WeeklyAvailability

__all__ = [
    "Appointment",
    "AppointmentEvent",
    "ConsultationMode",
    "Credential",
    "Department",
    "DoctorProfile",
    "DoctorService",
    "ScheduleException",
    "Slot",
    "WeeklyAvailability",
]
