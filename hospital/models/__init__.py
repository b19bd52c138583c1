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
from hospital.models.formulary import FormularyDrug
from hospital.models.prescriptions import (
    Prescription,
    PrescriptionEvent,
    PrescriptionFinding,
    PrescriptionItem,
)
from hospital.models.records import (
    Allergy,
    ClinicalProfile,
    Condition,
    MedicalDocument,
    Medication,
    Reading,
    RecordSource,
)
from hospital.models.renewals import RenewalRequest
from hospital.models.schedules import ScheduleException, Slot, WeeklyAvailability

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
