"""Reads of the formulary and of prescriptions, each scoped to who may see them.

A prescription is visible to its doctor (all statuses), to the account that acts for its
patient (once signed: drafts are the doctor's working copy), and to pharmacists (once signed,
they review and dispense against it). Anyone else gets a 404, never a 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from core.exceptions import NotFound
from hospital.models import FormularyDrug, Prescription, PrescriptionItem
from hospital.prescription_signing import (
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
        "findings",
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
