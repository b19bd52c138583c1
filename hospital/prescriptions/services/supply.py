"""What the shop may sell against approved prescriptions, and the counter of packs bought.

The pharmacy calls these (pharmacy → hospital is the allowed direction); the hospital never
imports the shop. A prescription's quantity can be bought once: the sum over all orders never
exceeds it. That is enforced by one conditional UPDATE per order (and a CHECK constraint
beneath it), so concurrent checkouts of the last packs cannot both succeed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import Conflict, DomainError, NotFound
from hospital.prescriptions.models import Prescription, PrescriptionItem

logger = logging.getLogger(__name__)

APPROVED = Prescription.Status.APPROVED


def _account_id(account: Any) -> int | None:
    if account is None or not getattr(account, "is_authenticated", False):
        return None
    return getattr(account, "pk", None)


def prescription_items_purchasable(*, account: Any) -> QuerySet[PrescriptionItem]:
    """Items of approved, unexpired prescriptions of the people this account acts for, with
    packs left to buy; soonest to lapse first."""
    account_id = _account_id(account)
    if account_id is None:
        return PrescriptionItem.objects.none()
    return (
        PrescriptionItem.objects.filter(
            prescription__patient__account_id=account_id,
            prescription__patient__is_archived=False,
            prescription__status=APPROVED,
            prescription__valid_until__gte=timezone.localdate(),
            purchased_packs__lt=F("quantity_packs"),
        )
        .select_related("drug", "prescription", "prescription__patient")
        .order_by("prescription__valid_until", "prescription_id", "position", "id")
    )


def prescription_item_remaining(*, item: PrescriptionItem) -> int:
    """Packs of this item still to be bought (as last read)."""
    return max(item.quantity_packs - item.purchased_packs, 0)


def _check_packs(packs: int) -> None:
    if isinstance(packs, bool) or not isinstance(packs, int) or packs <= 0:
        raise DomainError(_("The number of packs must be a positive whole number."), field="packs")


def prescription_item_consume(*, item_id: int, patient_id: int, packs: int) -> PrescriptionItem:
    """Counts `packs` of the item as bought; see prescription_items_consume."""
    prescription_items_consume(purchases={item_id: (patient_id, packs)})
    return PrescriptionItem.objects.select_related(
        "drug", "prescription", "prescription__patient"
    ).get(pk=item_id)


def prescription_items_consume(*, purchases: Mapping[int, tuple[int, int]]) -> None:
    """Counts packs of several items as bought, inside the caller's transaction (the
    checkout): its rollback gives them back. `purchases` maps an item id to the patient it is
    bought for and the packs bought.

    One conditional UPDATE does it, whatever the number of items. Its subquery locks the item
    rows in pk order (no deadlock between overlapping orders); each item's conditions (its
    prescription is this patient's, approved and unexpired: an EXISTS rather than a join, so
    the packs condition stays on the row being updated and PostgreSQL re-checks it against the
    latest committed version when a concurrent buyer got there first).

    Raises NotFound when an item is not one of its patient's, Conflict `prescription_not_valid`
    when its prescription is not approved or has lapsed, Conflict
    `prescription_quantity_exhausted` when fewer packs are left.
    """
    for _patient_id, packs in purchases.values():
        _check_packs(packs)
    today = timezone.localdate()
    valid_prescription = Prescription.objects.filter(
        pk=OuterRef("prescription_id"), status=APPROVED, valid_until__gte=today
    )
    purchasable = Q()
    for item_id, (patient_id, packs) in sorted(purchases.items()):
        purchasable |= Q(
            Exists(valid_prescription.filter(patient_id=patient_id)),
            pk=item_id,
            purchased_packs__lte=F("quantity_packs") - packs,
        )
    bought = Case(
        *(When(pk=item_id, then=Value(packs)) for item_id, (_p, packs) in purchases.items()),
        output_field=IntegerField(),
    )
    locked_in_pk_order = (
        PrescriptionItem.objects.select_for_update()
        .filter(pk__in=sorted(purchases))
        .order_by("pk")
        .values("pk")
    )
    updated = PrescriptionItem.objects.filter(
        purchasable, pk__in=Subquery(locked_in_pk_order)
    ).update(purchased_packs=F("purchased_packs") + bought)
    if updated == len(purchases):
        return
    # Some item was refused: say why for the first one that could not have been bought (the
    # caller's rollback gives back the others).
    items = PrescriptionItem.objects.select_related(
        "drug", "prescription", "prescription__patient"
    ).in_bulk(list(purchases))
    for item_id, (patient_id, _packs) in sorted(purchases.items()):
        item = items.get(item_id)
        if item is None or item.prescription.patient_id != patient_id:
            raise NotFound(_("No such prescription item."), code="prescription_item_not_found")
        rx = item.prescription
        if rx.status != APPROVED or rx.valid_until is None or rx.valid_until < today:
            raise Conflict(
                _("This prescription is not valid for purchase (it is %(status)s).")
                % {"status": rx.get_status_display() if rx.status != APPROVED else _("expired")},
                code="prescription_not_valid",
            )
    for item_id, (_patient_id, packs) in sorted(purchases.items()):
        item = items[item_id]
        # As read now: an item this UPDATE took shows its packs already counted.
        if item.purchased_packs > item.quantity_packs - packs or len(purchases) == 1:
            raise Conflict(
                _(
                    "Only %(remaining)s of the %(quantity)s prescribed packs of %(drug)s are "
                    "left to buy."
                )
                % {
                    "remaining": prescription_item_remaining(item=item),
                    "quantity": item.quantity_packs,
                    "drug": item.drug.generic_name_zh,
                },
                code="prescription_quantity_exhausted",
            )
    raise Conflict(
        _("The prescribed packs ran out meanwhile."), code="prescription_quantity_exhausted"
    )


def prescription_item_restore(*, item_id: int, packs: int) -> None:
    """Gives back packs of a cancelled or refunded purchase, never below zero. The caller's
    own state guard (the order's status) makes a retried cancellation restore once."""
    _check_packs(packs)
    updated = PrescriptionItem.objects.filter(pk=item_id, purchased_packs__gte=packs).update(
        purchased_packs=F("purchased_packs") - packs
    )
    if updated:
        return
    # More given back than was counted: the books disagree somewhere. Clamp rather than fail
    # a customer's cancellation, and leave a trace for an operator.
    clamped = PrescriptionItem.objects.filter(pk=item_id, purchased_packs__gt=0).update(
        purchased_packs=0
    )
    if not PrescriptionItem.objects.filter(pk=item_id).exists():
        raise NotFound(_("No such prescription item."), code="prescription_item_not_found")
    logger.warning(
        "restoring %s packs of prescription item %s exceeded the packs bought (clamped: %s)",
        packs,
        item_id,
        bool(clamped),
    )


def viewer_holds_prescription_for_drug(*, account: Any, drug_id: int) -> bool:
    """Whether someone this account acts for holds an approved, unexpired prescription of the
    drug (bought up or not): the product page may then show its leaflet and dosage."""
    account_id = _account_id(account)
    if account_id is None:
        return False
    return PrescriptionItem.objects.filter(
        drug_id=drug_id,
        prescription__patient__account_id=account_id,
        prescription__status=APPROVED,
        prescription__valid_until__gte=timezone.localdate(),
    ).exists()
