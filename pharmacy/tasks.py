"""Celery entry points of pharmacy: thin, idempotent, each calls one service."""

from celery import shared_task

from pharmacy import services
from pharmacy.services.delivery import orders_packing_unshipped, shipments_in_transit


@shared_task(acks_late=True)
def expire_unpaid_orders() -> int:
    return services.orders_expire_unpaid()


@shared_task(acks_late=True)
def review_batch_expiry() -> dict[str, int]:
    return {
        "expired": services.batches_expire_due(),
        "flagged": services.batches_flag_near_expiry(),
        # Lots in medicine boxes age with the rest: the same scan raises their restock tasks.
        "box_restock_tasks": services.medicine_boxes_review(),
    }


@shared_task(acks_late=True)
def fulfil_order(order_id: int) -> None:
    if services.order_fulfil(order_id=order_id) is not None:
        services.shipment_create(order_id=order_id)


@shared_task(acks_late=True)
def create_shipment(order_id: int) -> None:
    services.shipment_create(order_id=order_id)


@shared_task(acks_late=True)
def poll_shipment(shipment_id: int) -> None:
    services.shipment_poll(shipment_id=shipment_id)


@shared_task(acks_late=True)
def poll_shipments() -> int:
    """Periodic: ships picked orders still without a waybill, then polls every parcel."""
    for order_id in orders_packing_unshipped():
        services.shipment_create(order_id=order_id)
    shipment_ids = shipments_in_transit()
    for shipment_id in shipment_ids:
        poll_shipment.delay(shipment_id)
    return len(shipment_ids)
