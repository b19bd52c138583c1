"""Reads of the formulary, prescriptions, the review queue and renewal requests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.rules import is_pharmacist
from core.exceptions import NotFound
from hospital.prescriptions.decision_support.knowledge import Severity
from hospital.prescriptions.models import (
    FormularyDrug,
    Prescription,
    PrescriptionFinding,
    PrescriptionItem,
    RenewalRequest,
)
from hospital.prescriptions.services.review import QUEUE_ORDER
from hospital.prescriptions.signature import (
    prescription_id_from_verify_token,
    prescription_signature_check,
)

UNSIGNED_STATUSES = (Prescription.Status.DRAFT, Prescription.Status.VOID)


def formulary_search(*, q: str = "") -> QuerySet[FormularyDrug]:
    """Active drugs that may be prescribed online, matched on Chinese or English name,
    ingredient or code. Drugs of a forbidden control class are left out: they can never be
    prescribed here, so offering them would only invite a refusal."""
    drugs = FormularyDrug.objects.sellable_online()
    text = q.strip()
    if text:
        drugs = drugs.filter(
            Q(generic_name_zh__icontains=text)
            | Q(generic_name_en__icontains=text)
            | Q(ingredients__icontains=text)
            | Q(code__icontains=text)
            | Q(atc_code__istartswith=text)
        )
    return drugs.order_by("generic_name_en", "code")


def _with_details(queryset: QuerySet[Prescription]) -> QuerySet[Prescription]:
    return queryset.select_related(
        "doctor", "doctor__department", "patient", "consultation", "reviewed_by"
    ).prefetch_related(
        Prefetch(
            "items",
            queryset=PrescriptionItem.objects.select_related("drug").order_by("position", "id"),
        ),
        _findings(),
    )


def _visible_to(user: Any) -> Q:
    user_id = getattr(user, "pk", None)
    visible = Q(doctor__user_id=user_id) | (
        Q(patient__account_id=user_id) & ~Q(status__in=UNSIGNED_STATUSES)
    )
    if getattr(user, "is_authenticated", False) and user.has_role(Role.PHARMACIST):
        visible |= ~Q(status__in=UNSIGNED_STATUSES)
    return visible


def prescription_list_for_user(*, user: Any, status: str = "") -> QuerySet[Prescription]:
    """The doctor's own prescriptions and those of the patients the account acts for."""
    user_id = getattr(user, "pk", None)
    own = Q(doctor__user_id=user_id) | (
        Q(patient__account_id=user_id) & ~Q(status__in=UNSIGNED_STATUSES)
    )
    queryset = Prescription.objects.filter(own)
    if status:
        queryset = queryset.filter(status=status)
    return _with_details(queryset).order_by("-created_at", "-id")


def prescription_get_for_user(*, user: Any, prescription_id: int) -> Prescription:
    prescription = (
        _with_details(Prescription.objects.filter(_visible_to(user)))
        .filter(pk=prescription_id)
        .first()
    )
    if prescription is None:
        raise NotFound(_("No such prescription."))
    return prescription


def prescription_role(*, prescription: Prescription, user: Any) -> str:
    """How `user` sees the prescription: doctor, patient or pharmacist."""
    if prescription.doctor.user_id == getattr(user, "pk", None):
        return "doctor"
    if prescription.patient.account_id == getattr(user, "pk", None):
        return "patient"
    return "pharmacist"


def prescription_versions(*, prescription: Prescription) -> list[Prescription]:
    """Every version of this prescription (the first, its revisions …), oldest first."""
    first = prescription
    seen = {first.pk}
    while first.revision_of_id and first.revision_of_id not in seen:
        parent = Prescription.objects.filter(pk=first.revision_of_id).first()
        if parent is None:
            break
        first = parent
        seen.add(first.pk)
    chain = [first]
    while True:
        child = Prescription.objects.filter(revision_of=chain[-1]).first()
        if child is None or child.pk in {p.pk for p in chain}:
            break
        chain.append(child)
    return chain


@dataclass(frozen=True)
class PublicVerification:
    """What the QR code on a prescription shows to anyone holding it: enough for a pharmacy to
    tell a genuine, dispensable prescription from a forged or spent one, and no more of the
    patient than a masked name, sex and age."""

    prescription: Prescription
    items: list[PrescriptionItem]
    signature_valid: bool
    patient_name_masked: str
    patient_sex: str
    patient_age: int
    dispensable: bool


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the first character and one star for each of the rest."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def prescription_public_verification(*, token: str) -> PublicVerification:
    """The prescription a QR token names, as the public check shows it. NotFound for a token
    this site did not issue and for drafts or voided prescriptions (never a signed paper)."""
    prescription_id = prescription_id_from_verify_token(token)
    prescription = (
        _with_details(Prescription.objects.exclude(status__in=UNSIGNED_STATUSES))
        .filter(pk=prescription_id)
        .first()
        if prescription_id is not None
        else None
    )
    if prescription is None:
        raise NotFound(_("This code does not belong to a prescription issued here."))
    signature_valid = prescription_signature_check(prescription).valid
    today = timezone.localdate()
    patient = prescription.patient
    return PublicVerification(
        prescription=prescription,
        items=list(prescription.items.all()),
        signature_valid=signature_valid,
        patient_name_masked=mask_name(patient.real_name),
        patient_sex=patient.get_sex_display(),
        patient_age=patient.age_on(prescription.issued_on or today),
        dispensable=(
            signature_valid
            and prescription.status == Prescription.Status.APPROVED
            and prescription.valid_until is not None
            and prescription.valid_until >= today
        ),
    )


S = Prescription.Status

# Statuses a patient sees: a draft is the doctor's until signed, a void one was never issued.
PATIENT_VISIBLE_STATUSES = (S.PENDING_REVIEW, S.APPROVED, S.REJECTED, S.EXPIRED)


def _items() -> Prefetch:
    return Prefetch(
        "items", queryset=PrescriptionItem.objects.select_related("drug").order_by("position", "id")
    )


def _findings() -> Prefetch:
    """Findings worst first (as the engine reported them), so a contraindication is never
    below the minor notes; ties keep the engine's order."""
    rank = Case(
        *(When(severity=severity.value, then=Value(severity.rank)) for severity in Severity),
        default=Value(-1),
        output_field=IntegerField(),
    )
    return Prefetch(
        "findings",
        queryset=PrescriptionFinding.objects.select_related("intervention").order_by(
            rank.desc(), "id"
        ),
    )


def _pending_renewals() -> Prefetch:
    return Prefetch(
        "renewal_requests",
        queryset=RenewalRequest.objects.filter(status=RenewalRequest.Status.PENDING),
        to_attr="pending_renewals",
    )


def review_queue(*, now: dt.datetime | None = None) -> QuerySet[Prescription]:
    """Prescriptions waiting for review, in the order the queue hands them out."""
    today = timezone.localdate(now or timezone.now())
    return (
        Prescription.objects.filter(status=S.PENDING_REVIEW, valid_until__gte=today)
        .select_related("doctor", "doctor__department", "patient", "review_lease_holder")
        .order_by(*QUEUE_ORDER)
    )


def review_prescription_get(*, pharmacist: Any, prescription_id: int) -> Prescription:
    """A signed prescription with its items and findings, for a pharmacist."""
    prescription = (
        Prescription.objects.filter(pk=prescription_id)
        .exclude(status__in=(S.DRAFT, S.VOID))
        .select_related(
            "doctor",
            "doctor__department",
            "patient",
            "consultation",
            "reviewed_by",
            "review_lease_holder",
        )
        .prefetch_related(_items(), _findings())
        .first()
    )
    if prescription is None or not is_pharmacist(pharmacist):
        raise NotFound(_("No such prescription."))
    return prescription


def prescription_list_for_account(*, account: Any, status: str = "") -> QuerySet[Prescription]:
    """The issued prescriptions of everyone this account acts for, newest first, with items and
    any renewal request waiting."""
    queryset = Prescription.objects.filter(
        patient__account_id=getattr(account, "pk", None), status__in=PATIENT_VISIBLE_STATUSES
    )
    if status:
        queryset = queryset.filter(status=status)
    return (
        queryset.select_related("doctor", "doctor__department", "patient")
        .prefetch_related(_items(), _pending_renewals())
        .order_by("-created_at", "-id")
    )


def renewal_request_list(*, user: Any, status: str = "") -> QuerySet[RenewalRequest]:
    """Renewal requests for prescriptions this doctor wrote, or that this account made.
    Pending first, oldest first as a queue ("pending" sorts after "declined" and "accepted")."""
    user_id = getattr(user, "pk", None)
    queryset = RenewalRequest.objects.filter(
        Q(prescription__doctor__user_id=user_id) | Q(patient__account_id=user_id)
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.select_related(
        "prescription",
        "prescription__doctor",
        "patient",
        "follow_up_consultation",
    ).order_by("-status", "created_at", "id")


def renewal_request_get(*, user: Any, renewal_request_id: int) -> RenewalRequest:
    renewal = renewal_request_list(user=user).filter(pk=renewal_request_id).first()
    if renewal is None:
        raise NotFound(_("No such renewal request."))
    return renewal
