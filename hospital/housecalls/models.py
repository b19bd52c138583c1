"""House calls (上门): the cities and districts served, and each visit from request to the end."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import StatusChangeEvent
from core.transitions import TransitionTable
from hospital.doctors.models import Department, DoctorProfile


def _english() -> bool:
    return (get_language() or "").startswith("en")


class ServiceCity(models.Model):
    """A city where doctors make house calls, and the departments they come from there."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=60)
    departments = models.ManyToManyField(
        Department,
        related_name="house_call_cities",
        verbose_name=_("departments offered"),
        help_text=_("Doctors of these departments make house calls in this city."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("house-call city")
        verbose_name_plural = _("house-call cities")
        ordering = ["name_zh"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if _english() else self.name_zh


class ServiceArea(models.Model):
    """A district of a city served by house calls: when requests are taken, and the fee.

    Hours are local time: 08:00–22:00 by day; 20:00–08:00 overnight (closing before opening);
    the same time twice means around the clock."""

    city = models.ForeignKey(
        ServiceCity, on_delete=models.PROTECT, related_name="areas", verbose_name=_("city")
    )
    district_zh = models.CharField(_("district (Chinese)"), max_length=40)
    district_en = models.CharField(_("district (English)"), max_length=60)
    opens_at = models.TimeField(_("requests taken from"))
    closes_at = models.TimeField(_("requests taken until"))
    fee = models.DecimalField(_("visit fee"), max_digits=8, decimal_places=2)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("house-call service area")
        verbose_name_plural = _("house-call service areas")
        ordering = ["city__name_zh", "district_zh"]
        constraints = [
            models.UniqueConstraint(
                fields=["city", "district_zh"], name="house_call_area_unique_district"
            ),
            models.CheckConstraint(
                condition=Q(fee__gte=0), name="house_call_area_fee_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city.name} {self.district}"

    @property
    def district(self) -> str:
        return self.district_en if _english() else self.district_zh


class HouseCall(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Waiting for payment")
        REQUESTED = "requested", _("Waiting for the triage call")
        TRIAGED = "triaged", _("Waiting for a doctor")
        DISPATCHED = "dispatched", _("Offered to doctors")
        ACCEPTED = "accepted", _("Doctor assigned")
        ON_THE_WAY = "on_the_way", _("Doctor on the way")
        ARRIVED = "arrived", _("Doctor arrived")
        COMPLETED = "completed", _("Completed")
        NOT_DISPATCHED = "not_dispatched", _("Ended at triage")
        CANCELLED = "cancelled", _("Cancelled")

    class TriageOutcome(models.TextChoices):
        DISPATCH = "dispatch", _("Send a doctor")
        ONLINE_CONSULT = "online_consult", _("Advised an online consultation")
        EMERGENCY = "emergency", _("Advised to call 120 now")
        DECLINE = "decline", _("Declined")

    class CancelledBy(models.TextChoices):
        PATIENT = "patient", _("Patient")
        DOCTOR = "doctor", _("Doctor")
        OPERATOR = "operator", _("Operator")
        SYSTEM = "system", _("Not paid in time")

    S = Status
    # Every move a house call may make, in one place.
    TRANSITIONS = TransitionTable(
        {
            S.PENDING_PAYMENT: {S.REQUESTED, S.CANCELLED},
            S.REQUESTED: {S.TRIAGED, S.NOT_DISPATCHED, S.CANCELLED},
            S.TRIAGED: {S.DISPATCHED, S.CANCELLED},
            S.DISPATCHED: {S.ACCEPTED, S.CANCELLED},
            S.ACCEPTED: {S.ON_THE_WAY, S.CANCELLED},
            S.ON_THE_WAY: {S.ARRIVED, S.CANCELLED},
            S.ARRIVED: {S.COMPLETED, S.CANCELLED},
            S.COMPLETED: set(),
            S.NOT_DISPATCHED: set(),
            S.CANCELLED: set(),
        }
    )
    # A doctor on one of these is busy: not offered another visit.
    DOCTOR_BUSY_STATUSES = (S.ACCEPTED, S.ON_THE_WAY, S.ARRIVED)
    # Still going somewhere: the patient may cancel, the tracking page keeps refreshing.
    OPEN_STATUSES = (
        S.PENDING_PAYMENT,
        S.REQUESTED,
        S.TRIAGED,
        S.DISPATCHED,
        S.ACCEPTED,
        S.ON_THE_WAY,
        S.ARRIVED,
    )

    patient = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="house_calls",
        verbose_name=_("patient"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="house_calls_requested",
        verbose_name=_("requested by"),
    )
    area = models.ForeignKey(
        ServiceArea, on_delete=models.PROTECT, related_name="house_calls", verbose_name=_("area")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="house_calls",
        verbose_name=_("department"),
    )
    address = models.CharField(_("address"), max_length=200)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    symptoms = models.TextField(_("symptoms"), max_length=1000)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING_PAYMENT
    )
    fee = models.DecimalField(_("fee"), max_digits=8, decimal_places=2)
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment"),
    )
    hold_expires_at = models.DateTimeField(_("unpaid until"), null=True, blank=True)

    triage_outcome = models.CharField(
        _("triage outcome"), max_length=16, choices=TriageOutcome.choices, blank=True
    )
    triage_note = models.TextField(_("triage note"), max_length=1000, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("triaged by"),
    )
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)

    offered_to = models.ForeignKey(
        DoctorProfile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("offered to"),
        help_text=_("Empty: offered to every available doctor of the department."),
    )
    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="house_calls",
        verbose_name=_("doctor"),
    )
    eta = models.DateTimeField(_("expected arrival"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    departed_at = models.DateTimeField(_("set out at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    notes = models.TextField(_("visit notes"), blank=True)
    advice = models.TextField(_("advice"), blank=True)
    diagnoses = models.JSONField(
        _("diagnoses (ICD-10)"), default=list, blank=True, help_text=_("[{code, description}]")
    )

    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.CharField(
        _("cancelled by"), max_length=10, choices=CancelledBy.choices, blank=True
    )
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    refund_amount = models.DecimalField(
        _("refunded"), max_digits=8, decimal_places=2, null=True, blank=True
    )

    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("house call")
        verbose_name_plural = _("house calls")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "department"]),
            models.Index(fields=["doctor", "status"]),
            models.Index(fields=["patient", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(doctor__isnull=False)
                | ~Q(status__in=["accepted", "on_the_way", "arrived", "completed"]),
                name="house_call_doctor_once_accepted",
            ),
            models.CheckConstraint(condition=Q(fee__gte=0), name="house_call_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(refund_amount__isnull=True) | Q(refund_amount__lte=models.F("fee")),
                name="house_call_refund_at_most_fee",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.patient} {self.get_status_display()}"


class HouseCallEvent(StatusChangeEvent):
    house_call = models.ForeignKey(
        HouseCall, on_delete=models.PROTECT, related_name="events", verbose_name=_("house call")
    )

    class Meta(StatusChangeEvent.Meta):
        verbose_name = _("house call event")
        verbose_name_plural = _("house call events")

    @property
    def to_status_label(self) -> str:
        return str(dict(HouseCall.Status.choices).get(self.to_status, self.to_status))
