"""Reads of the formulary and of prescriptions, each scoped to who may see them.

A prescription is visible to its doctor (all statuses), to the account that acts for its
patient (once signed: drafts are the doctor's working copy), and to pharmacists (once signed,
they review and dispense against it). Anyone else gets a 404, never a 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.roles import Role
from core.exceptions import NotFound
from hospital.models import FormularyDrug, Prescription, PrescriptionItem

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
