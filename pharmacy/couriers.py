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
from django.utils.translation import gettext_lazy, override

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
    display_name = gettext_lazy("Simulated courier")

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
        descriptions = simulated_descriptions()
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


def simulated_descriptions() -> dict[str, str]:
    """What the simulator says at each step, in the active language."""
    return {
        Shipment.Status.PICKED_UP: _("The courier picked up the parcel at the pharmacy."),
        Shipment.Status.IN_TRANSIT: _("In transit."),
        Shipment.Status.OUT_FOR_DELIVERY: _("Out for delivery."),
        Shipment.Status.DELIVERED: _("Delivered and signed for."),
    }


def courier_display_name(name: str) -> str:
    """The courier's name for people ("simulator" is a configuration key, not a name)."""
    couriers = getattr(settings, "PHARMACY_COURIERS", {"simulator": _SIMULATOR_PATH})
    try:
        courier_class = import_string(couriers[name])
    except (KeyError, ImportError):
        return name
    return str(getattr(courier_class, "display_name", "") or name)


def tracking_description(*, carrier: str, status: str, stored: str) -> str:
    """A tracking event's text for the reader: the simulator's own words are written in the
    language that polled it (a worker), so they are said again in the reader's language; a
    real courier's text is shown as the courier sent it."""
    if carrier != SimulatedCourier.name or not stored:
        return stored
    for language in ("zh-hans", "en"):
        with override(language):
            written_by_simulator = simulated_descriptions().get(status) == stored
        if written_by_simulator:
            return simulated_descriptions().get(status, stored)
    return stored


_SIMULATOR_PATH = "pharmacy.couriers.SimulatedCourier"


def get_courier(name: str | None = None) -> Courier:
    couriers = getattr(settings, "PHARMACY_COURIERS", {"simulator": _SIMULATOR_PATH})
    chosen = name or getattr(settings, "PHARMACY_COURIER", "simulator")
    return import_string(couriers[chosen])()
