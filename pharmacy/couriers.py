"""Courier adapters (SF Express / JD Logistics style) and the built-in simulator.

A courier creates a waybill for an order and, when polled, reports the tracking events that
have happened so far. The periodic poll (pharmacy.tasks.poll_shipments) asks it; a real
courier's adapter calls its HTTP API in the same two methods. PHARMACY_COURIER picks one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from pharmacy.models import Order, Shipment
from pharmacy.rules import figure


@dataclass(frozen=True)
class Waybill:
    tracking_number: str
    eta: dt.datetime | None


@dataclass(frozen=True)
class TrackingUpdate:
    status: str
    occurred_at: dt.datetime
    description: str = ""
    location: str = ""


class Courier(Protocol):
    name: str

    def create(self, order: Order) -> Waybill: ...

    def poll(self, shipment: Shipment) -> list[TrackingUpdate]: ...


class SimulatedCourier:
    """Follows a fixed timeline from the moment the waybill is created (rules
    SIMULATED_TRACKING), so a demo, a test or a browser run sees the parcel move."""

    name = "simulator"

    def _timeline(self, method: str) -> tuple[tuple[str, dt.timedelta], ...]:
        timelines = figure("SIMULATED_TRACKING")
        return timelines.get(method) or timelines["express"]

    def create(self, order: Order) -> Waybill:
        # Deterministic per order: a retried create gets the same number (idempotent at the
        # courier too, as real couriers are for the same merchant order id).
        digest = hashlib.sha256(f"xinglin-order-{order.pk}".encode()).hexdigest()
        number = f"SIM{int(digest[:12], 16) % 10**12:012d}"
        delivered_after = self._timeline(order.delivery_method)[-1][1]
        return Waybill(tracking_number=number, eta=timezone.now() + delivered_after)

    def poll(self, shipment: Shipment) -> list[TrackingUpdate]:
        method = shipment.order.delivery_method
        descriptions: dict[str, str] = {
            Shipment.Status.PICKED_UP: _("The courier picked up the parcel at the pharmacy."),
            Shipment.Status.IN_TRANSIT: _("In transit."),
            Shipment.Status.OUT_FOR_DELIVERY: _("Out for delivery."),
            Shipment.Status.DELIVERED: _("Delivered and signed for."),
        }
        now = timezone.now()
        updates = []
        for status, after in self._timeline(method):
            at = shipment.created_at + after
            if at <= now:
                updates.append(
                    TrackingUpdate(
                        status=status,
                        occurred_at=at,
                        description=str(descriptions.get(status, "")),
                        location=shipment.order.city,
                    )
                )
        return updates


def get_courier(name: str | None = None) -> Courier:
    couriers = getattr(
        settings, "PHARMACY_COURIERS", {"simulator": "pharmacy.couriers.SimulatedCourier"}
    )
    chosen = name or getattr(settings, "PHARMACY_COURIER", "simulator")
    return import_string(couriers[chosen])()
