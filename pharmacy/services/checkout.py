"""Checkout: the cart becomes an order waiting for payment, in one transaction.

Everything is checked again here. Lock order: the account's cart lines, then product rows in pk
order (stock, by conditional UPDATE), then prescription items in pk order (by conditional
UPDATE in hospital.prescriptions.services.supply). A failure anywhere rolls all of it back.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import DomainError
from hospital.prescriptions.services.supply import prescription_items_consume
from insurance.services.point_of_sale import SaleLine, SaleSplit, sale_quote
from pharmacy.models import Batch, CartLine, Order, OrderEvent, OrderLine
from pharmacy.rules import figure
from pharmacy.selectors import order_detail_of_new
from pharmacy.services.cart import (
    check_prescription_quantity,
    check_purchase_limits,
    prescription_items_for_lines,
)
from pharmacy.services.stock import batches_expire_due, stock_reserve

PAYMENT_PURPOSE = "pharmacy_order"

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


# The national drug catalogue's classes as the formulary records them, and as insurance takes them.
INSURANCE_CATEGORIES = {"jia": "drug_jia", "yi": "drug_yi", "bing": "drug_bing"}


def order_settlement_reference(*, order_id: int, patient_id: int) -> str:
    """The expense insurance settles: one per patient of the order, since each patient's own
    policies pay for their own medicine."""
    return f"{PAYMENT_PURPOSE}:{order_id}:{patient_id}"


def order_settlement_references(order: Order) -> list[str]:
    patient_ids = sorted(
        {line.patient_id for line in order.lines.all() if line.prescription_item_id is not None}
    )
    return [order_settlement_reference(order_id=order.pk, patient_id=pk) for pk in patient_ids]


def order_insurance_quote(*, order: Order, lines: list[OrderLine]) -> SaleSplit:
    """预结算 of the order with each patient's payers. Only medicine bought against an approved
    prescription of the same patient is settled, and only as far as that prescription goes
    (the quantity check has already held it to that); OTC products and shipping are the
    buyer's. The quote expires with the order's time to pay."""
    by_patient: dict[int, list[SaleLine]] = defaultdict(list)
    today = timezone.localdate()
    for line in lines:
        item = line.prescription_item
        if item is None or line.product.drug is None:
            continue
        drug = line.product.drug
        by_patient[line.patient_id].append(
            SaleLine(
                ref=f"line:{line.pk}",
                service_date=today,
                category=INSURANCE_CATEGORIES.get(drug.insurance_category, "drug_unlisted"),
                # The 对码 is kept by formulary drug, whichever product sells it.
                code=drug.code,
                amount=line.line_total,
                description=line.product_name,
                diagnoses=tuple(item.prescription.diagnosis_codes or ()),
            )
        )
    total = SaleSplit.uninsured(ZERO)
    for patient_id, sale_lines in sorted(by_patient.items()):
        split = sale_quote(
            patient_id=patient_id,
            reference=order_settlement_reference(order_id=order.pk, patient_id=patient_id),
            lines=sale_lines,
            expires_at=order.expires_at,
            provider_level=figure("INSURANCE_PROVIDER_LEVEL"),
        )
        total = SaleSplit(
            billed=total.billed + split.billed,
            insurer=total.insurer + split.insurer,
            account=total.account + split.account,
            patient=total.patient + split.patient,
        )
    return total


def is_same_city(city: str) -> bool:
    return city.strip().lower() in {c.lower() for c in figure("PHARMACY_CITY_NAMES")}


def shipping_fee_quote(*, delivery_method: str, city: str, items_total: Decimal) -> Decimal:
    if delivery_method == Order.DeliveryMethod.INSTANT:
        if not is_same_city(city):
            raise DomainError(
                _("Instant delivery is only available within the pharmacy's city."),
                field="delivery_method",
            )
        return Decimal(figure("INSTANT_FEE"))
    if delivery_method != Order.DeliveryMethod.EXPRESS:
        raise DomainError(_("Choose express or instant delivery."), field="delivery_method")
    if items_total >= Decimal(figure("EXPRESS_FREE_FROM")):
        return ZERO
    return Decimal(figure("EXPRESS_FEE"))


def order_number_new() -> str:
    return f"{timezone.localtime():%Y%m%d%H%M}{secrets.randbelow(10**8):08d}"


def order_checkout(
    *,
    account: Any,
    delivery_method: str,
    recipient_name: str,
    recipient_phone: str,
    city: str,
    address: str,
    line_ids: list[int] | None = None,
) -> Order:
    """Turns the account's cart (or the chosen lines of it) into an order waiting for payment:
    reserves the stock and counts the prescription packs as bought. Raises DomainError for bad
    input, Conflict when stock or a prescription's packs ran out meanwhile. The order comes back
    with its lines and event loaded, as selectors.order_get would return it."""
    checkout = {
        "account": account,
        "delivery_method": delivery_method,
        "recipient_name": recipient_name,
        "recipient_phone": recipient_phone,
        "city": city,
        "address": address,
        "line_ids": line_ids,
    }
    try:
        return _checkout(**checkout, expired_lots_written_off=False)
    except ExpiredLotsFound as found:
        # Lots that expired since the last scan are written off first, in their own
        # transactions: they must not count towards what is reserved now, and stay written
        # off if the checkout then fails. Rare (the periodic scan writes them off), so the
        # ordinary checkout only asks whether there are any, with its cart read.
        batches_expire_due(product_ids=found.product_ids)
        return _checkout(**checkout, expired_lots_written_off=True)


class ExpiredLotsFound(Exception):
    def __init__(self, product_ids: list[int]):
        super().__init__(product_ids)
        self.product_ids = product_ids


@transaction.atomic
def _checkout(
    *,
    account: Any,
    delivery_method: str,
    recipient_name: str,
    recipient_phone: str,
    city: str,
    address: str,
    line_ids: list[int] | None,
    expired_lots_written_off: bool,
) -> Order:
    for field, value in (
        ("recipient_name", recipient_name),
        ("recipient_phone", recipient_phone),
        ("city", city),
        ("address", address),
    ):
        if not value.strip():
            raise DomainError(_("This field is required."), field=field)
    cart = (
        CartLine.objects.select_for_update(of=("self",))
        .select_related("product", "product__drug", "patient")
        .filter(account=account)
        .order_by("pk")
    )
    if not expired_lots_written_off:
        expired_lot = Batch.objects.filter(
            product_id=OuterRef("product_id"),
            is_expired=False,
            expiry_date__lt=timezone.localdate(),
        )
        cart = cart.annotate(has_expired_lot=Exists(expired_lot))
    if line_ids is not None:
        cart = cart.filter(pk__in=line_ids)
    lines = list(cart)
    if not lines or (line_ids is not None and len(lines) != len(set(line_ids))):
        raise DomainError(_("Your cart is empty."), field="lines", code="cart_empty")
    expired = sorted({line.product_id for line in lines if getattr(line, "has_expired_lot", 0)})
    if expired:
        raise ExpiredLotsFound(expired)

    for line in lines:
        product = line.product
        if not product.is_active or (product.drug is not None and product.drug.is_forbidden_online):
            raise DomainError(
                _("%(product)s is no longer sold; remove it from your cart.")
                % {"product": product.name},
                field="lines",
                code="product_unavailable",
            )
        if line.patient.is_archived:
            raise DomainError(_("This patient profile is archived."), field="lines")
        if product.is_prescription and line.rx_notice_confirmed_at is None:
            raise DomainError(
                _("Confirm the prescription notice for %(product)s.") % {"product": product.name},
                field="lines",
                code="rx_notice_not_confirmed",
            )
    items = prescription_items_for_lines(account=account, lines=lines)
    for line, item in zip(lines, items, strict=True):
        check_prescription_quantity(item=item, quantity=line.quantity)
    check_purchase_limits((line.product, line.quantity) for line in lines)

    totals = [(line.product.price * line.quantity).quantize(CENT) for line in lines]
    items_total = sum(totals, ZERO)
    shipping = shipping_fee_quote(
        delivery_method=delivery_method, city=city, items_total=items_total
    )
    gross = items_total + shipping
    now = timezone.now()
    order = Order.objects.create(
        number=order_number_new(),
        account=account,
        delivery_method=delivery_method,
        recipient_name=recipient_name.strip()[:50],
        recipient_phone=recipient_phone.strip()[:20],
        city=city.strip()[:40],
        address=address.strip()[:200],
        requires_dispensing=any(line.product.is_prescription for line in lines),
        items_total=items_total,
        shipping_fee=shipping,
        gross_total=gross,
        patient_due=gross,
        expires_at=now + figure("ORDER_PAYMENT_WINDOW"),
    )

    order_lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=line.product,
            patient=line.patient,
            prescription_item=item,
            product_name=f"{line.product.name_zh} {line.product.pack_description}".strip()[:200],
            is_prescription=line.product.is_prescription,
            is_returnable=line.product.is_returnable,
            quantity=line.quantity,
            unit_price=line.product.price,
            line_total=total,
        )
        for line, item, total in zip(lines, items, totals, strict=True)
    )
    split = order_insurance_quote(order=order, lines=order_lines)
    if split.covered:
        order.insurance_share, order.account_share = split.covered, split.account
        order.patient_due = gross - split.covered
        order.save(update_fields=["insurance_share", "account_share", "patient_due"])
    event = OrderEvent.objects.create(
        order=order, to_status=Order.Status.PENDING_PAYMENT, actor=account, note="checkout"
    )
    CartLine.objects.filter(pk__in=[line.pk for line in lines]).delete()

    # Last, so that the rows other buyers wait on (a popular product's stock, a prescription
    # item) stay locked only from here to the commit.
    quantities: dict[int, int] = defaultdict(int)
    for line in lines:
        quantities[line.product_id] += line.quantity
    stock_reserve(quantities=quantities, order=order)
    purchases: dict[int, tuple[int, int]] = {}
    for line, item in zip(lines, items, strict=True):
        if item is not None:
            _patient_id, packs = purchases.get(item.pk, (line.patient_id, 0))
            purchases[item.pk] = (line.patient_id, packs + line.quantity)
    if purchases:
        prescription_items_consume(purchases=purchases)
    # Handed back with what was just written in place, so answering needs no read-back.
    return order_detail_of_new(order=order, lines=order_lines, events=[event])
