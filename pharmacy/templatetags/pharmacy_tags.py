"""Shop bits the other pages use: the home page's product sections, list images."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from pharmacy import selectors
from pharmacy.api.serializers import product_image_url
from pharmacy.couriers import courier_display_name, tracking_description
from pharmacy.event_notes import order_event_note, order_status_label

register = template.Library()

HOME_SECTION_SIZE = 8


@register.filter
def list_image(row: dict[str, Any]) -> str | None:
    """The photo or illustration of a catalog row; None for a prescription product (never
    shown in lists)."""
    return product_image_url(
        kind=row["kind"],
        image=row["image"],
        is_prescription=row["is_prescription"],
        illustration=row["illustration"],
    )


@register.filter
def localized_name(row: dict[str, Any]) -> str:
    if (get_language() or "").startswith("en") and row.get("name_en"):
        return row["name_en"]
    return row["name_zh"]


@register.inclusion_tag("pharmacy/partials/home_products.html")
def home_products() -> dict[str, Any]:
    """OTC products and devices with their images; prescription products as text only."""
    otc = list(selectors.product_list(rx=False)[:HOME_SECTION_SIZE])
    rx = list(selectors.product_list(rx=True)[:HOME_SECTION_SIZE])
    return {"otc_products": otc, "rx_products": rx}


@register.filter
def product_image(product: Any) -> str:
    """The main photo of a product page, else its category's illustration."""
    if product.image:
        return str(product.image.url)
    return (
        product_image_url(
            kind=product.kind, image="", is_prescription=False, illustration=product.illustration
        )
        or ""
    )


register.filter("order_status", order_status_label)
register.filter("order_note", order_event_note)
register.filter("courier_name", courier_display_name)


@register.filter
def tracking_text(event: Any) -> str:
    return tracking_description(
        carrier=event.shipment.carrier, status=event.status, stored=event.description
    )
