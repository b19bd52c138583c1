from hospital.models.appointments import Appointment, AppointmentEvent
from hospital.models.consultations import (
    Consultation,
    ConsultationDiagnosis,
    ConsultationEvent,
    ConsultationMessage,
)
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
    "Consultation",
    "ConsultationDiagnosis",
    "ConsultationEvent",
    "ConsultationMessage",
    "ConsultationMode",
    "Credential",
    "Department",
    "DoctorProfile",
    "DoctorService",
    "ScheduleException",
    "Slot",
    "WeeklyAvailability",
]
