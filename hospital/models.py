"""Every model of hospital, gathered from its domains so Django finds them under one app label."""

from hospital.booking.models import (
    Appointment,
    AppointmentEvent,
    ScheduleException,
    Slot,
    WeeklyAvailability,
)
from hospital.consultations.models import (
    Consultation,
    ConsultationDiagnosis,
    ConsultationEvent,
    ConsultationMessage,
)
from hospital.doctors.models import (
    ConsultationMode,
    Credential,
    Department,
    DoctorProfile,
    DoctorService,
)
from hospital.prescriptions.models import (
    FormularyDrug,
    Prescription,
    PrescriptionEvent,
    PrescriptionFinding,
    PrescriptionItem,
    RenewalRequest,
)
from hospital.records.models import (
    Allergy,
    ClinicalProfile,
    Condition,
    MedicalDocument,
    Medication,
    Reading,
    RecordSource,
)

__all__ = [
    "Allergy",
    "Appointment",
    "AppointmentEvent",
    "ClinicalProfile",
    "Condition",
    "Consultation",
    "ConsultationDiagnosis",
    "ConsultationEvent",
    "ConsultationMessage",
    "ConsultationMode",
    "Credential",
    "Department",
    "DoctorProfile",
    "DoctorService",
    "FormularyDrug",
    "MedicalDocument",
    "Medication",
    "Prescription",
    "PrescriptionEvent",
    "PrescriptionFinding",
    "PrescriptionItem",
    "Reading",
    "RecordSource",
    "RenewalRequest",
    "ScheduleException",
    "Slot",
    "WeeklyAvailability",
]
