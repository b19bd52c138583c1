"""The cart: adding, changing and removing lines, with the checks a line must pass.

The same checks run again at checkout (inside its transaction), so a line that was fine when
added but is not any more (a prescription lapsed, stock ran out) is refused there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile
from accounts.selectors import patient_profile_get
from core.exceptions import Conflict, DomainError, NotFound
from hospital.prescriptions.models import PrescriptionItem
from hospital.prescriptions.selectors import prescription_list_for_account
from hospital.prescriptions.services.supply import (
    prescription_item_remaining,
    prescription_items_purchasable,
)
from pharmacy.models import CartLine, Product
from pharmacy.rules import RX_NOTICE, figure


def _product(product_id: int) -> Product:
    product = Product.objects.listed().select_related("drug").filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("No such product."), field="product")
    return product


def _patient(account: Any, patient_id: int) -> PatientProfile:
    try:
        return patient_profile_get(account=account, profile_id=patient_id, include_archived=False)
    except NotFound as error:
        raise NotFound(error.message, field="patient") from error


def _check_quantity(quantity: int) -> None:
    most = figure("LINE_MAX_QUANTITY")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= most:
        raise DomainError(
            _("Choose between 1 and %(most)s packs.") % {"most": most}, field="quantity"
        )


def prescription_item_for_line(
    *, account: Any, patient: PatientProfile, product: Product, item_id: int | None
) -> PrescriptionItem | None:
    """The approved prescription item a prescription product is bought against (None for an
    OTC product); checks it is this patient's, for this drug, with packs left."""
    purchasable = prescription_items_purchasable(account=account)
    item = None
    if product.is_prescription and item_id is not None:
        item = purchasable.filter(pk=item_id).first()
    return check_prescription_item(patient=patient, product=product, item_id=item_id, item=item)


def prescription_items_for_lines(*, account: Any, lines: list[CartLine]) -> list[Any]:
    """The same for each of the lines (product and patient loaded), read in one query."""
    item_ids = [line.prescription_item_id for line in lines if line.prescription_item_id]
    found = prescription_items_purchasable(account=account).in_bulk(item_ids) if item_ids else {}
    return [
        check_prescription_item(
            patient=line.patient,
            product=line.product,
            item_id=line.prescription_item_id,
            item=found.get(line.prescription_item_id) if line.prescription_item_id else None,
        )
        for line in lines
    ]


def check_prescription_item(
    *, patient: PatientProfile, product: Product, item_id: int | None, item: Any
) -> PrescriptionItem | None:
    """`item` is the purchasable item of id `item_id` as read (None when there is none)."""
    if not product.is_prescription:
        if item_id is not None:
            raise DomainError(
                _("Only prescription products are bought against a prescription."),
                field="prescription_item",
            )
        return None
    if item_id is None:
        raise DomainError(
            _("A prescription product needs an approved prescription: choose its item."),
            field="prescription_item",
            code="prescription_required",
        )
    if item is None:
        raise NotFound(
            _("No approved, unexpired prescription item with packs left to buy."),
            field="prescription_item",
        )
    if item.prescription.patient_id != patient.pk:
        raise DomainError(
            _("This prescription was issued to someone else."), field="prescription_item"
        )
    if item.drug_id != product.drug_id:
        raise DomainError(
            _("This prescription item is for another drug."), field="prescription_item"
        )
    return item


def check_prescription_quantity(*, item: PrescriptionItem | None, quantity: int) -> None:
    if item is None:
        return
    remaining = prescription_item_remaining(item=item)
    if quantity > remaining:
        raise Conflict(
            _("Only %(remaining)s packs are left to buy on this prescription.")
            % {"remaining": remaining},
            field="quantity",
            code="prescription_quantity_exceeded",
        )


def check_purchase_limits(lines: Iterable[tuple[Product, int]]) -> None:
    """Restricted OTC products (e.g. compound ephedrine): at most their limit per order."""
    totals: dict[int, int] = defaultdict(int)
    products: dict[int, Product] = {}
    for product, quantity in lines:
        totals[product.pk] += quantity
        products[product.pk] = product
    for product_id, total in totals.items():
        limit = products[product_id].purchase_limit
        if limit is not None and total > limit:
            raise DomainError(
                _("At most %(limit)s packs of %(product)s may be bought in one order.")
                % {"limit": limit, "product": products[product_id].name},
                field="quantity",
                code="purchase_limit",
            )


def _check_in_stock(product: Product, quantity: int) -> None:
    if quantity > product.stock_available:
        raise Conflict(
            _("Only %(available)s of %(product)s left in stock.")
            % {"available": product.stock_available, "product": product.name},
            field="quantity",
            code="out_of_stock",
        )


def _other_lines(account: Any, product: Product, exclude_pk: int | None) -> list[tuple]:
    rows = CartLine.objects.filter(account=account, product=product)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return [(product, q) for q in rows.values_list("quantity", flat=True)]


@transaction.atomic
def cart_line_add(
    *,
    account: Any,
    patient_id: int,
    product_id: int,
    quantity: int,
    prescription_item_id: int | None = None,
    rx_notice_confirmed: bool = False,
) -> CartLine:
    """Puts packs of a product in the account's cart for one of its patients. The same product
    for the same patient (and prescription item) adds to the existing line."""
    _check_quantity(quantity)
    patient = _patient(account, patient_id)
    product = _product(product_id)
    if product.is_prescription and not rx_notice_confirmed:
        raise DomainError(
            _("Confirm that you have read: %(notice)s") % {"notice": RX_NOTICE},
            field="rx_notice_confirmed",
            code="rx_notice_not_confirmed",
        )
    item = prescription_item_for_line(
        account=account, patient=patient, product=product, item_id=prescription_item_id
    )
    existing = (
        CartLine.objects.select_for_update()
        .filter(account=account, patient=patient, product=product, prescription_item=item)
        .first()
    )
    total = quantity + (existing.quantity if existing else 0)
    _check_quantity(total)
    check_prescription_quantity(item=item, quantity=total)
    others = _other_lines(account, product, existing.pk if existing else None)
    check_purchase_limits([*others, (product, total)])
    _check_in_stock(product, total + sum(q for _p, q in others))
    now = timezone.now()
    if existing is not None:
        existing.quantity = total
        existing.rx_notice_confirmed_at = now if product.is_prescription else None
        existing.save(update_fields=["quantity", "rx_notice_confirmed_at", "updated_at"])
        return existing
    if CartLine.objects.filter(account=account).count() >= figure("CART_MAX_LINES"):
        raise DomainError(_("Your cart is full; check out or remove a line first."))
    try:
        with transaction.atomic():
            return CartLine.objects.create(
                account=account,
                patient=patient,
                product=product,
                prescription_item=item,
                quantity=quantity,
                rx_notice_confirmed_at=now if product.is_prescription else None,
            )
    except IntegrityError as error:
        raise Conflict(_("This line is already in your cart; change its quantity.")) from error


def _own_line(account: Any, line_id: int) -> CartLine:
    line = (
        CartLine.objects.select_for_update(of=("self",))
        .select_related("product", "product__drug", "prescription_item", "patient")
        .filter(pk=line_id, account=account)
        .first()
    )
    if line is None:
        raise NotFound(_("No such cart line."))
    return line


@transaction.atomic
def cart_line_update(*, account: Any, line_id: int, quantity: int) -> CartLine:
    _check_quantity(quantity)
    line = _own_line(account, line_id)
    product = line.product
    item = line.prescription_item
    if item is not None:
        item = prescription_item_for_line(
            account=account, patient=line.patient, product=product, item_id=item.pk
        )
    check_prescription_quantity(item=item, quantity=quantity)
    others = _other_lines(account, product, line.pk)
    check_purchase_limits([*others, (product, quantity)])
    _check_in_stock(product, quantity + sum(q for _p, q in others))
    line.quantity = quantity
    line.save(update_fields=["quantity", "updated_at"])
    return line


@transaction.atomic
def cart_line_remove(*, account: Any, line_id: int) -> None:
    line = _own_line(account, line_id)
    line.delete()


@dataclass
class CartFill:
    """What 去购药 put in the cart, and what it could not, as sentences for the buyer."""

    lines: list[CartLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _product_for_drug(drug_id: int) -> Product | None:
    """The product a prescribed drug is sold as: the first listed one with stock, else the
    first listed one (whose empty stock the cart then reports)."""
    products = list(Product.objects.listed().filter(drug_id=drug_id).order_by("pk"))
    in_stock = [product for product in products if product.stock_available > 0]
    candidates = in_stock or products
    return candidates[0] if candidates else None


def cart_add_prescription(
    *, account: Any, prescription_id: int, rx_notice_confirmed: bool = False
) -> CartFill:
    """Puts what is left to buy of an approved prescription in the cart, for the prescription's
    patient: each item as its matching product, through cart_line_add and so with every check
    a line added by hand passes. Lines already in the cart are topped up to what is left, so
    pressing the button twice adds nothing twice. An item that cannot be added is reported
    and the others still go in (each line is its own transaction).

    Raises NotFound for a prescription that is not one of this account's patients'.
    """
    prescription = prescription_list_for_account(account=account).filter(pk=prescription_id).first()
    if prescription is None:
        raise NotFound(_("No such prescription."))
    items = list(
        prescription_items_purchasable(account=account).filter(prescription_id=prescription.pk)
    )
    if not items:
        raise Conflict(
            _(
                "Nothing is left to buy on this prescription: it is not approved, has lapsed or "
                "was bought in full."
            ),
            code="prescription_not_purchasable",
        )
    filled = CartFill()
    for item in items:
        drug_name = item.drug.display_name
        product = _product_for_drug(item.drug_id)
        if product is None:
            filled.problems.append(
                _("%(drug)s: our pharmacy does not sell it.") % {"drug": drug_name}
            )
            continue
        if product.is_prescription and not rx_notice_confirmed:
            filled.problems.append(
                _("Confirm that you have read: %(notice)s") % {"notice": RX_NOTICE}
            )
            break
        item_id = item.pk if product.is_prescription else None
        in_cart = (
            CartLine.objects.filter(
                account=account,
                patient_id=prescription.patient_id,
                product=product,
                prescription_item_id=item_id,
            )
            .values_list("quantity", flat=True)
            .first()
        ) or 0
        wanted = prescription_item_remaining(item=item) - in_cart
        if wanted <= 0:
            continue
        try:
            line = cart_line_add(
                account=account,
                patient_id=prescription.patient_id,
                product_id=product.pk,
                quantity=wanted,
                prescription_item_id=item_id,
                rx_notice_confirmed=rx_notice_confirmed,
            )
        except DomainError as error:
            filled.problems.append(f"{product.name}: {error.message}")
        else:
            filled.lines.append(line)
    return filled
