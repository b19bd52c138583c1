"""Consultations: a booked visit or a quick consult, its messages, diagnoses and outcome."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import StatusChangeEvent
from core.system_text import system_text_render
from core.transitions import TransitionTable
from hospital.booking.models import Appointment
from hospital.doctors.models import ConsultationMode, Department, DoctorProfile


class Consultation(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for a doctor")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        APPOINTMENT = "appointment", _("Booked consultation")
        QUICK = "quick", _("Quick consult")

    class Outcome(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        REFERRED = "referred", _("Referred offline")

    S = Status
    TRANSITIONS = TransitionTable(
        {
            S.WAITING: {S.OPEN, S.CANCELLED},
            S.OPEN: {S.CLOSED},
            S.CLOSED: set(),
            S.CANCELLED: set(),
        }
    )

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name=_("patient"),
    )
    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
        verbose_name=_("doctor"),
        help_text=_("Empty while a quick consult waits for a doctor to claim it."),
    )
    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultation",
        verbose_name=_("appointment"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name=_("department"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    mode = models.CharField(_("mode"), max_length=8, choices=ConsultationMode.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    chief_complaint = models.TextField(_("chief complaint"), max_length=2000)

    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Operators are told once about a quick consult nobody claimed in time.
    unclaimed_alerted_at = models.DateTimeField(_("unclaimed alert sent at"), null=True, blank=True)

    # Follow-up eligibility (复诊): online care continues a condition diagnosed offline.
    qualifies_as_follow_up = models.BooleanField(
        _("qualifies as a follow-up"),
        null=True,
        blank=True,
        help_text=_("Empty until the doctor has assessed the evidence of a prior diagnosis."),
    )
    follow_up_evidence = models.ManyToManyField(
        "hospital.MedicalDocument",
        blank=True,
        related_name="consultations_citing",
        verbose_name=_("evidence of the prior diagnosis"),
    )
    follow_up_note = models.TextField(_("follow-up assessment note"), blank=True)

    notes = models.TextField(_("doctor's notes"), blank=True)
    advice = models.TextField(_("advice"), blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)

    referral_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referred to department"),
    )
    referral_hospital = models.CharField(_("referred to hospital"), max_length=100, blank=True)
    referral_reason = models.TextField(_("referral reason"), blank=True)

    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.TextField(_("rating comment"), max_length=1000, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status", "created_at"]),
            models.Index(fields=["doctor", "status"]),
            models.Index(fields=["patient", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(doctor__isnull=False) | Q(status__in=["waiting", "cancelled"]),
                name="consultation_doctor_once_claimed",
            ),
            models.CheckConstraint(
                condition=Q(kind="quick", appointment__isnull=True)
                | Q(kind="appointment", appointment__isnull=False),
                name="consultation_kind_matches_appointment",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="consultation_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="referred") | ~Q(referral_reason=""),
                name="consultation_referral_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.get_status_display()}"

    def is_participant(self, user: object) -> bool:
        user_id = getattr(user, "pk", None)
        if user_id is None:
            return False
        if self.patient.account_id == user_id:
            return True
        return self.doctor is not None and self.doctor.user_id == user_id


# Statuses in which a consultation is under way or about to be.
ACTIVE_STATUSES = (Consultation.Status.WAITING, Consultation.Status.OPEN)


class ConsultationEvent(StatusChangeEvent):
    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("consultation"),
    )

    class Meta(StatusChangeEvent.Meta):
        verbose_name = _("consultation event")
        verbose_name_plural = _("consultation events")


def message_attachment_path(instance: ConsultationMessage, filename: str) -> str:
    # The stored name never reuses the uploaded one: it is not trusted and may identify someone.
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
        instance.attachment_type, "pdf"
    )
    return f"consultations/{instance.consultation_id}/{uuid.uuid4().hex}.{extension}"


class ConsultationMessage(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGE = "image", _("Image")
        DOCUMENT = "document", _("PDF document")
        SYSTEM = "system", _("System")

    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.PROTECT,
        related_name="messages",
        verbose_name=_("consultation"),
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sender"),
        help_text=_("Empty for system messages."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    body = models.TextField(_("text"), max_length=5000, blank=True)
    # A system message keeps the source of its text, so each participant reads it in their own
    # language (core.system_text); `body` holds it as rendered when written.
    body_msgid = models.CharField(_("system text"), max_length=300, blank=True, editable=False)
    body_params = models.JSONField(_("system text parameters"), default=dict, blank=True)
    attachment = models.FileField(
        _("attachment"), upload_to=message_attachment_path, max_length=200, blank=True
    )
    attachment_type = models.CharField(_("attachment type"), max_length=40, blank=True)
    attachment_size = models.PositiveIntegerField(_("attachment size"), null=True, blank=True)
    attachment_name = models.CharField(_("attachment name"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consultation message")
        verbose_name_plural = _("consultation messages")
        ordering = ["id"]
        indexes = [models.Index(fields=["consultation", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["text", "system"]) | ~Q(attachment=""),
                name="consultation_message_file_has_attachment",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def text(self) -> str:
        """The message as the reader reads it: a system message in the active language."""
        return system_text_render(self.body_msgid, self.body_params, fallback=self.body)


class ConsultationDiagnosis(models.Model):
    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.PROTECT,
        related_name="diagnoses",
        verbose_name=_("consultation"),
    )
    code = models.CharField(_("ICD-10 code"), max_length=10)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("diagnosis")
        verbose_name_plural = _("diagnoses")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "code"], name="consultation_diagnosis_unique_code"
            ),
            models.UniqueConstraint(
                fields=["consultation"],
                condition=Q(is_primary=True),
                name="consultation_diagnosis_one_primary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}".strip()


class MdtConsultation(models.Model):
    """An inter-doctor consultation (会诊): the treating doctor asks specialists a question about
    a patient. An invited doctor who accepted may open the patient's record while it is open
    and not past `expires_at`; every read is in the access log the patient sees."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        EXPIRED = "expired", _("Expired")

    S = Status
    TRANSITIONS = TransitionTable(
        {S.OPEN: {S.CLOSED, S.EXPIRED}, S.CLOSED: set(), S.EXPIRED: set()}
    )

    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.PROTECT,
        related_name="mdt_consultations",
        verbose_name=_("consultation"),
    )
    requested_by = models.ForeignKey(
        DoctorProfile,
        on_delete=models.PROTECT,
        related_name="mdt_requested",
        verbose_name=_("treating doctor"),
    )
    question = models.TextField(_("question"), max_length=2000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=S.OPEN)
    expires_at = models.DateTimeField(
        _("access ends at"),
        help_text=_("Invited doctors may open the record until then, or until it is closed."),
    )
    conclusion = models.TextField(_("conclusion"), max_length=5000, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("inter-doctor consultation (MDT)")
        verbose_name_plural = _("inter-doctor consultations (MDT)")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"


class MdtEvent(StatusChangeEvent):
    mdt = models.ForeignKey(
        MdtConsultation, on_delete=models.CASCADE, related_name="events", verbose_name=_("MDT")
    )

    class Meta(StatusChangeEvent.Meta):
        verbose_name = _("MDT event")
        verbose_name_plural = _("MDT events")


class MdtInvitation(models.Model):
    """One specialist invited into a 会诊, and their answer."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        ANSWERED = "answered", _("Opinion given")

    S = Status
    TRANSITIONS = TransitionTable(
        {
            S.INVITED: {S.ACCEPTED, S.DECLINED},
            S.ACCEPTED: {S.ANSWERED},
            S.DECLINED: set(),
            S.ANSWERED: set(),
        }
    )
    # Invitations whose doctor may open the patient's record while the 会诊 is open.
    WITH_ACCESS = (S.ACCEPTED, S.ANSWERED)

    mdt = models.ForeignKey(
        MdtConsultation,
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("MDT"),
    )
    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.PROTECT,
        related_name="mdt_invitations",
        verbose_name=_("invited doctor"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=S.INVITED)
    opinion = models.TextField(_("opinion"), max_length=5000, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)
    created_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("MDT invitation")
        verbose_name_plural = _("MDT invitations")
        ordering = ["id"]
        indexes = [models.Index(fields=["doctor", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["mdt", "doctor"], name="mdt_invitation_once_per_doctor"
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | ~Q(opinion=""),
                name="mdt_invitation_answer_has_opinion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} · {self.get_status_display()}"


class MdtInvitationEvent(StatusChangeEvent):
    invitation = models.ForeignKey(
        MdtInvitation,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("MDT invitation"),
    )

    class Meta(StatusChangeEvent.Meta):
        verbose_name = _("MDT invitation event")
        verbose_name_plural = _("MDT invitation events")


class PartnerHospital(models.Model):
    """A hospital we refer patients to for offline care (分诊转诊)."""

    class Level(models.TextChoices):
        PRIMARY = "primary", _("Primary (一级)")
        SECONDARY = "secondary", _("Secondary (二级)")
        TERTIARY = "tertiary", _("Tertiary (三级)")

    name = models.CharField(_("name"), max_length=100, unique=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    city = models.CharField(_("city"), max_length=50)
    address = models.CharField(_("address"), max_length=200)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("takes referrals"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner hospital")
        verbose_name_plural = _("partner hospitals")
        ordering = ["city", "name"]

    def __str__(self) -> str:
        return self.name


class PartnerDepartment(models.Model):
    """A department of a partner hospital. Where it holds offline clinic sessions in our
    schedule, `clinic_doctor` is the doctor whose slots they are, so a referral can book one."""

    hospital = models.ForeignKey(
        PartnerHospital,
        on_delete=models.PROTECT,
        related_name="departments",
        verbose_name=_("partner hospital"),
    )
    name = models.CharField(_("name"), max_length=100)
    specialty = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partner_departments",
        verbose_name=_("specialty"),
    )
    clinic_doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partner_clinics",
        verbose_name=_("clinic doctor"),
        help_text=_("The doctor whose slots in our schedule are this department's clinic."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("takes referrals"), default=True)

    class Meta:
        verbose_name = _("partner department")
        verbose_name_plural = _("partner departments")
        ordering = ["hospital__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "name"], name="partner_department_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hospital.name} · {self.name}"


class Referral(models.Model):
    """A referral from a consultation to a partner hospital department, its letter, the
    clinic slot booked for it, and the outcome the partner reports back."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Letter issued")
        BOOKED = "booked", _("Clinic visit booked")
        COMPLETED = "completed", _("Outcome recorded")
        CANCELLED = "cancelled", _("Cancelled")

    class Outcome(models.TextChoices):
        SEEN = "seen", _("Seen in clinic")
        ADMITTED = "admitted", _("Admitted")
        DECLINED = "declined", _("Declined by the partner")

    S = Status
    TRANSITIONS = TransitionTable(
        {
            S.ISSUED: {S.BOOKED, S.COMPLETED, S.CANCELLED},
            S.BOOKED: {S.COMPLETED, S.CANCELLED},
            S.COMPLETED: set(),
            S.CANCELLED: set(),
        }
    )

    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("consultation"),
    )
    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("patient"),
    )
    referring_doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.PROTECT,
        related_name="referrals_made",
        verbose_name=_("referring doctor"),
    )
    partner_department = models.ForeignKey(
        PartnerDepartment,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("referred to"),
    )
    reason = models.TextField(_("reason for referral"), max_length=2000)
    clinical_summary = models.TextField(_("clinical summary"), max_length=5000, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=S.ISSUED)
    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referral",
        verbose_name=_("clinic appointment"),
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    outcome_notes = models.TextField(_("outcome notes"), max_length=5000, blank=True)
    outcome_recorded_at = models.DateTimeField(_("outcome recorded at"), null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("outcome recorded by"),
    )
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="completed", outcome__in=["seen", "admitted", "declined"])
                | (~Q(status="completed") & Q(outcome="")),
                name="referral_outcome_once_completed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter_number} → {self.partner_department}"

    @property
    def letter_number(self) -> str:
        """The number printed on the letter, which the partner quotes back."""
        issued = self.created_at.strftime("%Y%m%d") if self.created_at else "00000000"
        return f"XL-ZZ-{issued}-{self.pk or 0:06d}"


class ReferralEvent(StatusChangeEvent):
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="events", verbose_name=_("referral")
    )

    class Meta(StatusChangeEvent.Meta):
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")


class ConsultationChatSeen(models.Model):
    """When a participant last had the consultation's chat open: a message written while the
    other side has been away longer than CONSULTATION_AWAY_AFTER notifies them."""

    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("consultation"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("chat last seen")
        verbose_name_plural = _("chats last seen")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "user"], name="chat_seen_once"),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id} {self.user_id} {self.seen_at:%Y-%m-%d %H:%M}"
