"""The pharmacy's figures, in one place. Each can be overridden in settings (PHARMACY_<NAME>)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

DEFAULTS: dict[str, Any] = {
    # An order not paid this long after checkout expires and gives back stock and
    # prescription quantity.
    "ORDER_PAYMENT_WINDOW": timedelta(minutes=15),
    # Batches expiring within this many days are flagged to operators.
    "NEAR_EXPIRY_DAYS": 90,
    # Per-order limits of restricted OTC products, by the formulary's sale restriction
    # (compound ephedrine preparations: 2 packs a purchase).
    "SALE_RESTRICTION_LIMITS": {"ephedrine_combination": 2},
    # Most packs of one product on one cart line, and most lines in a cart.
    "LINE_MAX_QUANTITY": 99,
    "CART_MAX_LINES": 50,
    # Delivery: express anywhere, instant (courier on foot or bike) within the pharmacy's city.
    "EXPRESS_FEE": Decimal("10.00"),
    "EXPRESS_FREE_FROM": Decimal("99.00"),
    "INSTANT_FEE": Decimal("15.00"),
    "PHARMACY_CITY_NAMES": ("北京", "北京市", "beijing"),
    # The courier simulator's timeline: how long after the shipment is created each tracking
    # event happens, by delivery method.
    "SIMULATED_TRACKING": {
        "express": (
            ("picked_up", timedelta(minutes=10)),
            ("in_transit", timedelta(hours=2)),
            ("out_for_delivery", timedelta(hours=20)),
            ("delivered", timedelta(hours=24)),
        ),
        "instant": (
            ("picked_up", timedelta(minutes=5)),
            ("in_transit", timedelta(minutes=10)),
            ("out_for_delivery", timedelta(minutes=30)),
            ("delivered", timedelta(minutes=60)),
        ),
    },
    # The provider level the social scheme settles the shop's sales at: a retail pharmacy has
    # none of a hospital's levels, so the ratios set for any level apply.
    "INSURANCE_PROVIDER_LEVEL": "",
    # Non-drug items may be returned this many days after delivery.
    "RETURN_WINDOW_DAYS": 7,
    # Medicine boxes: the buyer stands at the box, so an unpaid box order lets its packs go
    # sooner; lots expiring within BOX_NEAR_EXPIRY_DAYS raise a restock task (they are swapped
    # for fresher ones) and are never placed in a box.
    "BOX_PAYMENT_WINDOW": timedelta(minutes=5),
    "BOX_NEAR_EXPIRY_DAYS": 30,
}

# Shown on every prescription product, and confirmed by the buyer before it goes in the cart.
RX_NOTICE = _("处方药须凭处方在药师指导下购买和使用")


def figure(name: str) -> Any:
    return getattr(settings, f"PHARMACY_{name}", DEFAULTS[name])


def purchase_limit_for_restriction(restriction: str) -> int | None:
    """The per-order pack limit a formulary sale restriction implies (None: no limit)."""
    if not restriction or restriction == "none":
        return None
    return figure("SALE_RESTRICTION_LIMITS").get(restriction)
