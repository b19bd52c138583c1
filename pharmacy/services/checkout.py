"""Checkout: the cart becomes an order waiting for payment, in one transaction.

Everything is checked again here. Lock order: the account's cart lines, then product rows in pk
order (stock, by conditional UPDATE), then prescription items in pk order (by conditional
UPDATE in hospital.prescriptions.services.supply). A failure anywhere rolls all of it back.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import DomainError
from hospital.prescriptions.services.supply import prescription_item_consume
from pharmacy.models import CartLine, Order, OrderEvent, OrderLine
from pharmacy.rules import figure
from pharmacy.selectors import order_detail_of_new
from pharmacy.services.cart import (
    check_prescription_quantity,
    check_purchase_limits,
    prescription_item_for_line,
)
from pharmacy.services.stock import batches_expire_due, stock_reserve

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class QuoteLine:
    product_id: int
    patient_id: int
    quantity: int
    unit_price: Decimal
    is_prescription: bool
    insurance_category: str  # of the drug: jia / yi / bing, "" for non-drugs

    @property
    def total(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)


def order_insurance_quote(*, lines: list[QuoteLine]) -> Decimal:
    """What insurance pays of these lines, settled directly with the pharmacy.

    The insurance seam: today nobody shares the cost. The insurance issue computes each
    patient's plan share here (pharmacy may call insurance services); the order, its payment's
    covered amount and refunds of the patient's part already take it into account.
    """
    return ZERO


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


def _order_number() -> str:
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
    # Lots that expired since the last scan are written off first, in their own transactions:
    # they must not count towards what is reserved now, and stay written off if this fails.
    cart_products = CartLine.objects.filter(account=account)
    if line_ids is not None:
        cart_products = cart_products.filter(pk__in=line_ids)
    batches_expire_due(product_ids=cart_products.values_list("product_id", flat=True))
    return _checkout(
        account=account,
        delivery_method=delivery_method,
        recipient_name=recipient_name,
        recipient_phone=recipient_phone,
        city=city,
        address=address,
        line_ids=line_ids,
    )


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
    if line_ids is not None:
        cart = cart.filter(pk__in=line_ids)
    lines = list(cart)
    if not lines or (line_ids is not None and len(lines) != len(set(line_ids))):
        raise DomainError(_("Your cart is empty."), field="lines", code="cart_empty")

    quote_lines: list[QuoteLine] = []
    items = []
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
        item = prescription_item_for_line(
            account=account,
            patient=line.patient,
            product=product,
            item_id=line.prescription_item_id,
        )
        check_prescription_quantity(item=item, quantity=line.quantity)
        items.append(item)
        quote_lines.append(
            QuoteLine(
                product_id=product.pk,
                patient_id=line.patient_id,
                quantity=line.quantity,
                unit_price=product.price,
                is_prescription=product.is_prescription,
                insurance_category=product.drug.insurance_category if product.drug else "",
            )
        )
    check_purchase_limits((line.product, line.quantity) for line in lines)

    items_total = sum((q.total for q in quote_lines), ZERO)
    shipping = shipping_fee_quote(
        delivery_method=delivery_method, city=city, items_total=items_total
    )
    gross = items_total + shipping
    insurance = min(order_insurance_quote(lines=quote_lines), gross)
    now = timezone.now()
    order = Order.objects.create(
        number=_order_number(),
        account=account,
        delivery_method=delivery_method,
        recipient_name=recipient_name.strip()[:50],
        recipient_phone=recipient_phone.strip()[:20],
        city=city.strip()[:40],
        address=address.strip()[:200],
        requires_dispensing=any(q.is_prescription for q in quote_lines),
        items_total=items_total,
        shipping_fee=shipping,
        gross_total=gross,
        insurance_share=insurance,
        patient_due=gross - insurance,
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
            line_total=quote.total,
        )
        for line, item, quote in zip(lines, items, quote_lines, strict=True)
    )
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
    for line, item in sorted(
        ((line, item) for line, item in zip(lines, items, strict=True) if item is not None),
        key=lambda pair: pair[1].pk,
    ):
        prescription_item_consume(item_id=item.pk, patient_id=line.patient_id, packs=line.quantity)
    # Handed back with what was just written in place, so answering needs no read-back.
    return order_detail_of_new(order=order, lines=order_lines, events=[event])
