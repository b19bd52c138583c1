"""Delivery: the courier's waybill for a packed order, then its tracking events.

Both steps are idempotent (one shipment per order; one tracking event per status, never
backwards), so a task delivered twice, or a poll that reports the same events again, changes
nothing twice. Lock order: the order, then its shipment.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.transitions import status_change
from hospital.prescriptions.schedule.services import medication_schedule_start
from pharmacy.couriers import get_courier
from pharmacy.models import Order, Shipment, TrackingEvent
from pharmacy.services.orders import order_notify

logger = logging.getLogger(__name__)
S = Order.Status


@transaction.atomic
def shipment_create(*, order_id: int) -> Shipment | None:
    """Hands a packed, picked order to the courier; the order is then shipped."""
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        return None
    existing = Shipment.objects.filter(order=order).first()
    if existing is not None:
        return existing
    if order.status != S.PACKING or order.picked_at is None:
        return None
    courier = get_courier()
    waybill = courier.create(order)
    shipment = Shipment.objects.create(
        order=order, carrier=courier.name, tracking_number=waybill.tracking_number, eta=waybill.eta
    )
    order.shipped_at = timezone.now()
    status_change(
        order, S.SHIPPED, actor=None, note=shipment.tracking_number, fields=("shipped_at",)
    )
    order_notify(
        order,
        kind="pharmacy.order_shipped",
        subject=_("Your order %(number)s is on its way") % {"number": order.number},
        body=_("Tracking number %(number)s") % {"number": shipment.tracking_number},
    )
    return shipment


@transaction.atomic
def shipment_poll(*, shipment_id: int) -> Shipment | None:
    """Asks the courier what happened to the parcel; records new events, moves the shipment
    (and, on delivery, the order) forward. Never moves backwards."""
    order_id = Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        return None
    order = Order.objects.select_for_update().get(pk=order_id)
    shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
    shipment.order = order
    if shipment.status == Shipment.Status.DELIVERED:
        return shipment
    updates = get_courier(shipment.carrier).poll(shipment)
    status_before = shipment.status
    known = set(shipment.events.values_list("status", flat=True))
    rank = Shipment.RANK
    for update in sorted(updates, key=lambda u: rank[Shipment.Status(u.status)]):
        if update.status not in known:
            TrackingEvent.objects.create(
                shipment=shipment,
                status=update.status,
                description=update.description[:200],
                location=update.location[:100],
                occurred_at=update.occurred_at,
            )
        if rank[Shipment.Status(update.status)] > rank[Shipment.Status(shipment.status)]:
            shipment.status = update.status
    shipment.last_polled_at = timezone.now()
    shipment.save(update_fields=["status", "last_polled_at", "updated_at"])
    if shipment.status == Shipment.Status.OUT_FOR_DELIVERY != status_before:
        # Only when the parcel stops here: a poll that finds it delivered already says so.
        order_notify(
            order,
            kind="pharmacy.order_out_for_delivery",
            subject=_("Your order %(number)s is out for delivery") % {"number": order.number},
            body=_("The courier brings it today; keep your phone at hand."),
        )
    if shipment.status == Shipment.Status.DELIVERED and order.status == S.SHIPPED:
        delivered = shipment.events.filter(status=Shipment.Status.DELIVERED).first()
        order.delivered_at = delivered.occurred_at if delivered else timezone.now()
        status_change(order, S.DELIVERED, actor=None, fields=("delivered_at",))
        # The medicine is in the patient's hands: their dose schedule starts now.
        medication_schedule_start(
            prescription_item_ids=order.lines.filter(prescription_item__isnull=False).values_list(
                "prescription_item_id", flat=True
            ),
            started_at=order.delivered_at,
        )
        order_notify(
            order,
            kind="pharmacy.order_delivered",
            subject=_("Your order %(number)s was delivered") % {"number": order.number},
        )
    return shipment


def shipments_in_transit() -> list[int]:
    return list(
        Shipment.objects.exclude(status=Shipment.Status.DELIVERED)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )


def orders_packing_unshipped() -> list[int]:
    """Picked orders still waiting for a waybill (a lost task, a courier that was down)."""
    return list(
        Order.objects.filter(status=S.PACKING, picked_at__isnull=False, shipment__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
