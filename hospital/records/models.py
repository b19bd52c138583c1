"""The health record of a patient profile (就诊人): allergies, conditions, medications, readings,
documents and the clinical facts prescribing needs (pregnancy, lactation).

Nothing here is ever deleted: a wrong entry is marked entered-in-error and stays in history.
Who may read and write it is decided in hospital.records.access.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from notifications.kinds import kind_register

# Registered with the models so the kind is known wherever the app is loaded (web and worker).
READING_ALERT_KIND = kind_register(
    "hospital.reading_out_of_range", _("A patient's reading is out of range"), optional=False
).key


class RecordSource(models.TextChoices):
    """Who put an entry on the record."""

    SELF_REPORTED = "self_reported", _("Reported by the patient")
    CLINICIAN = "clinician", _("Recorded by a doctor")
    DEVICE = "device", _("Sent by a paired device")


class ClinicalProfile(models.Model):
    """Per-patient facts that change what may be prescribed, each with the date it was true."""

    class Pregnancy(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown")
        NOT_PREGNANT = "not_pregnant", _("Not pregnant")
        PREGNANT = "pregnant", _("Pregnant")

    class Lactation(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown")
        NOT_LACTATING = "not_lactating", _("Not breastfeeding")
        LACTATING = "lactating", _("Breastfeeding")

    class HepaticImpairment(models.TextChoices):
        """As decision support grades it: mild/moderate/severe are Child–Pugh A/B/C."""

        UNKNOWN = "unknown", _("Unknown")
        NONE = "none", _("No hepatic impairment")
        MILD = "mild", _("Mild (Child–Pugh A)")
        MODERATE = "moderate", _("Moderate (Child–Pugh B)")
        SEVERE = "severe", _("Severe (Child–Pugh C)")

    patient = models.OneToOneField(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="clinical_profile",
        verbose_name=_("patient"),
    )
    pregnancy_status = models.CharField(
        _("pregnancy"), max_length=16, choices=Pregnancy.choices, default=Pregnancy.UNKNOWN
    )
    pregnancy_as_of = models.DateField(_("pregnancy status as of"), null=True, blank=True)
    expected_delivery_date = models.DateField(_("expected delivery date"), null=True, blank=True)
    lactation_status = models.CharField(
        _("breastfeeding"), max_length=16, choices=Lactation.choices, default=Lactation.UNKNOWN
    )
    lactation_as_of = models.DateField(_("breastfeeding status as of"), null=True, blank=True)
    hepatic_impairment = models.CharField(
        _("hepatic impairment"),
        max_length=16,
        choices=HepaticImpairment.choices,
        default=HepaticImpairment.UNKNOWN,
    )
    hepatic_impairment_as_of = models.DateField(
        _("hepatic impairment as of"), null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("clinical profile")
        verbose_name_plural = _("clinical profiles")

    def __str__(self) -> str:
        return f"{self.get_pregnancy_status_display()} / {self.get_lactation_status_display()}"


class Allergy(models.Model):
    class Category(models.TextChoices):
        DRUG = "drug", _("Medicine")
        FOOD = "food", _("Food")
        ENVIRONMENT = "environment", _("Environment")
        OTHER = "other", _("Other")

    class DrugClass(models.TextChoices):
        """Classes decision support matches prescribed drugs against (with the ATC prefix)."""

        PENICILLINS = "penicillins", _("Penicillins (J01C)")
        CEPHALOSPORINS = "cephalosporins", _("Cephalosporins (J01D)")
        SULFONAMIDES = "sulfonamides", _("Sulfonamides (J01E)")
        MACROLIDES = "macrolides", _("Macrolides (J01FA)")
        QUINOLONES = "quinolones", _("Quinolones (J01M)")
        NSAIDS = "nsaids", _("NSAIDs (M01A)")
        ASPIRIN = "aspirin", _("Aspirin / salicylates (N02BA)")
        OPIOIDS = "opioids", _("Opioids (N02A)")
        ACE_INHIBITORS = "ace_inhibitors", _("ACE inhibitors (C09A)")
        IODINATED_CONTRAST = "iodinated_contrast", _("Iodinated contrast (V08A)")
        LOCAL_ANAESTHETICS = "local_anaesthetics", _("Local anaesthetics (N01B)")

    class Severity(models.TextChoices):
        MILD = "mild", _("Mild")
        MODERATE = "moderate", _("Moderate")
        SEVERE = "severe", _("Severe")
        LIFE_THREATENING = "life_threatening", _("Life-threatening")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="allergies",
        verbose_name=_("patient"),
    )
    substance = models.CharField(_("substance"), max_length=100)
    category = models.CharField(
        _("category"), max_length=12, choices=Category.choices, default=Category.DRUG
    )
    drug_class = models.CharField(
        _("drug class"), max_length=24, choices=DrugClass.choices, blank=True
    )
    reaction = models.CharField(_("reaction"), max_length=200, blank=True)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    noted_on = models.DateField(_("first noted on"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=RecordSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("allergy")
        verbose_name_plural = _("allergies")
        ordering = ["status", "-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"{self.substance} ({self.get_severity_display()})"


class Condition(models.Model):
    """A problem or diagnosis (ICD-10), reported by the patient or recorded by a doctor."""

    class ClinicalStatus(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        RESOLVED = "resolved", _("Resolved")

    class Verification(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Unconfirmed (reported by the patient)")
        CONFIRMED = "confirmed", _("Confirmed by a doctor")
        ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="conditions",
        verbose_name=_("patient"),
    )
    icd10_code = models.CharField(_("ICD-10 code"), max_length=10)
    description = models.CharField(_("description"), max_length=300)
    clinical_status = models.CharField(
        _("clinical status"),
        max_length=12,
        choices=ClinicalStatus.choices,
        default=ClinicalStatus.ACTIVE,
    )
    verification_status = models.CharField(
        _("verification"), max_length=16, choices=Verification.choices
    )
    is_chronic = models.BooleanField(_("chronic"), default=False)
    onset_date = models.DateField(_("onset date"), null=True, blank=True)
    abatement_date = models.DateField(_("resolved on"), null=True, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=RecordSource.choices)
    consultation = models.ForeignKey(
        "hospital.Consultation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="record_conditions",
        verbose_name=_("diagnosed in consultation"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["clinical_status", "-is_chronic", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "clinical_status"]),
            models.Index(fields=["is_chronic", "clinical_status"]),
        ]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.description}"


class Medication(models.Model):
    """A medicine the patient takes: reported by them now; prescribed or dispensed ones later."""

    class Source(models.TextChoices):
        SELF_REPORTED = "self_reported", _("Reported by the patient")
        PRESCRIBED = "prescribed", _("Prescribed")
        DISPENSED = "dispensed", _("Dispensed")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Taking")
        STOPPED = "stopped", _("Stopped")
        ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="medications",
        verbose_name=_("patient"),
    )
    name = models.CharField(_("name"), max_length=150)
    dose_text = models.CharField(_("dose and frequency"), max_length=200, blank=True)
    start_date = models.DateField(_("started on"), null=True, blank=True)
    stop_date = models.DateField(_("stopped on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    # Filled when the medicine is known to the formulary, so decision support can match it.
    drug_code = models.CharField(_("formulary drug code"), max_length=40, blank=True)
    atc_code = models.CharField(_("ATC code"), max_length=10, blank=True)
    ingredients = models.JSONField(_("active ingredients"), default=list, blank=True)
    # Where a prescribed or dispensed entry came from, e.g. "prescription-item:42".
    source_reference = models.CharField(_("source reference"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("medication")
        verbose_name_plural = _("medications")
        ordering = ["status", "-start_date", "-id"]
        indexes = [models.Index(fields=["patient", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(stop_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(stop_date__gte=models.F("start_date")),
                name="medication_stops_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.dose_text}".strip()


class Reading(models.Model):
    """A measurement: glucose, blood pressure (systolic in value, diastolic in value2), heart
    rate, weight, height. Its flag is set from the thresholds in hospital.rules when saved."""

    class Kind(models.TextChoices):
        GLUCOSE_FASTING = "glucose_fasting", _("Fasting blood glucose")
        GLUCOSE_RANDOM = "glucose_random", _("Random blood glucose")
        GLUCOSE_POSTPRANDIAL = "glucose_postprandial", _("Blood glucose 2 h after a meal")
        BLOOD_PRESSURE = "blood_pressure", _("Blood pressure")
        HEART_RATE = "heart_rate", _("Heart rate")
        WEIGHT = "weight", _("Weight")
        HEIGHT = "height", _("Height")
        CREATININE = "creatinine", _("Serum creatinine")
        EGFR = "egfr", _("eGFR (kidney function)")
        POTASSIUM = "potassium", _("Serum potassium")

    class Flag(models.TextChoices):
        NORMAL = "normal", _("In range")
        LOW = "low", _("Low")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        FINAL = "final", _("Final")
        ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")

    UNITS: ClassVar[dict[str, str]] = {
        Kind.GLUCOSE_FASTING: "mmol/L",
        Kind.GLUCOSE_RANDOM: "mmol/L",
        Kind.GLUCOSE_POSTPRANDIAL: "mmol/L",
        Kind.BLOOD_PRESSURE: "mmHg",
        Kind.HEART_RATE: "bpm",
        Kind.WEIGHT: "kg",
        Kind.HEIGHT: "cm",
        Kind.CREATININE: "µmol/L",
        Kind.EGFR: "mL/min/1.73m²",
        Kind.POTASSIUM: "mmol/L",
    }

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="readings",
        verbose_name=_("patient"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    value = models.DecimalField(_("value"), max_digits=6, decimal_places=1)
    value2 = models.DecimalField(
        _("second value (diastolic)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=16)
    measured_at = models.DateTimeField(_("measured at"))
    flag = models.CharField(_("flag"), max_length=10, choices=Flag.choices, default=Flag.NORMAL)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.FINAL
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=RecordSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # A reading a paired device sent, under the device's own id for it (a resend is the same).
    device = models.ForeignKey(
        "hospital.Device",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="readings",
        verbose_name=_("device"),
    )
    device_reading_id = models.CharField(_("device's reading id"), max_length=64, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["-measured_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "kind", "measured_at"]),
            models.Index(fields=["patient", "measured_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="blood_pressure", value2__isnull=False)
                | (~Q(kind="blood_pressure") & Q(value2__isnull=True)),
                name="reading_diastolic_only_for_blood_pressure",
            ),
            models.UniqueConstraint(
                fields=["device", "device_reading_id"],
                condition=Q(device__isnull=False),
                name="reading_once_per_device_reading_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.display_value} {self.unit}"

    @property
    def display_value(self) -> str:
        if self.kind == self.Kind.BLOOD_PRESSURE and self.value2 is not None:
            return f"{self.value:.0f}/{self.value2:.0f}"
        return f"{self.value}"

    @property
    def is_out_of_range(self) -> bool:
        return self.flag != self.Flag.NORMAL


def medical_document_path(instance: MedicalDocument, filename: str) -> str:
    # A random name: the uploaded one is not trusted and may identify the patient.
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
        instance.content_type, "bin"
    )
    return f"records/{instance.patient_id}/{uuid.uuid4().hex}.{extension}"


class MedicalDocument(models.Model):
    """A document from elsewhere (a prior diagnosis, a lab report...), the evidence that online
    care is a follow-up. Its file is served only through the access-checked download view."""

    class Kind(models.TextChoices):
        OUTPATIENT_RECORD = "outpatient_record", _("Outpatient record (门诊病历)")
        DISCHARGE_SUMMARY = "discharge_summary", _("Discharge summary (出院小结)")
        DIAGNOSIS_CERTIFICATE = "diagnosis_certificate", _("Diagnosis certificate (诊断证明)")
        LAB_REPORT = "lab_report", _("Lab report (检验报告)")
        IMAGING = "imaging", _("Imaging report (影像报告)")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        CURRENT = "current", _("Current")
        ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="medical_documents",
        verbose_name=_("patient"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=150, blank=True)
    hospital_name = models.CharField(_("hospital"), max_length=150)
    document_date = models.DateField(_("document date"))
    diagnosis_codes = models.JSONField(_("ICD-10 diagnosis codes"), default=list, blank=True)
    file = models.FileField(_("file"), upload_to=medical_document_path, max_length=200)
    content_type = models.CharField(_("file type"), max_length=40)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    original_name = models.CharField(_("uploaded file name"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CURRENT
    )
    source = models.CharField(_("source"), max_length=16, choices=RecordSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("medical document")
        verbose_name_plural = _("medical documents")
        ordering = ["-document_date", "-id"]
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.hospital_name} {self.document_date}"


class DevicePairingCode(models.Model):
    """A short-lived code shown on the record page that a device types in (or scans) once to be
    paired to that patient. Only its digest is kept."""

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("patient"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    code_digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("device pairing code")
        verbose_name_plural = _("device pairing codes")

    def __str__(self) -> str:
        return f"pairing {self.pk} for {self.patient_id}"


class Device(models.Model):
    """A measuring device (a glucose meter, a blood-pressure cuff) paired to one patient. It
    sends readings with its own token, which the account can revoke at any time; only the
    token's digest is kept."""

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.CASCADE,
        related_name="devices",
        verbose_name=_("patient"),
    )
    paired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("paired by"),
    )
    name = models.CharField(_("name"), max_length=80)
    serial_number = models.CharField(_("serial number"), max_length=80, blank=True)
    token_digest = models.CharField(max_length=64, unique=True)
    paired_at = models.DateTimeField(_("paired at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last reading at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["-paired_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class DeviceTestSchedule(models.Model):
    """When the treating doctor wants the patient to test with their device: a kind of
    reading at set times of day (fasting glucose daily at 07:00). Each time becomes a reminder
    booked ahead as a scheduled notice, sent by the notifications scan."""

    # The kinds a device at home measures.
    TESTABLE_KINDS: ClassVar[tuple[str, ...]] = (
        Reading.Kind.GLUCOSE_FASTING,
        Reading.Kind.GLUCOSE_RANDOM,
        Reading.Kind.GLUCOSE_POSTPRANDIAL,
        Reading.Kind.BLOOD_PRESSURE,
        Reading.Kind.HEART_RATE,
        Reading.Kind.WEIGHT,
    )

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="device_test_schedules",
        verbose_name=_("patient"),
    )
    kind = models.CharField(_("reading"), max_length=24, choices=Reading.Kind.choices)
    # "HH:MM" on the hospital's clock, sorted.
    times_of_day = models.JSONField(_("times of day"), default=list)
    note = models.CharField(_("note for the patient"), max_length=200, blank=True)
    set_by = models.ForeignKey(
        "hospital.DoctorProfile",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("set by"),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("device test schedule")
        verbose_name_plural = _("device test schedules")
        ordering = ["patient_id", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="device_test_schedule_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {', '.join(self.times_of_day)}"

    @property
    def is_active(self) -> bool:
        return self.stopped_at is None
