"""Writes and state transitions of pharmacy: one function per domain operation."""

from pharmacy.services.boxes import (
    medicine_box_item_add,
    medicine_box_order_create,
    medicine_box_restock,
    medicine_box_restock_task_cancel,
    medicine_box_restock_task_do,
    medicine_boxes_review,
)
from pharmacy.services.cart import (
    CartFill,
    cart_add_prescription,
    cart_line_add,
    cart_line_remove,
    cart_line_update,
)
from pharmacy.services.catalog import products_follow_drug
from pharmacy.services.checkout import (
    order_checkout,
    order_insurance_quote,
    shipping_fee_quote,
)
from pharmacy.services.delivery import shipment_create, shipment_poll
from pharmacy.services.orders import (
    PAYMENT_PURPOSE,
    order_cancel,
    order_complaint_submit,
    order_dispense,
    order_expire,
    order_fulfil,
    order_line_return,
    order_pay,
    order_payment_succeeded,
    orders_expire_unpaid,
)
from pharmacy.services.stock import (
    batch_adjust,
    batch_receive,
    batches_expire_due,
    batches_flag_near_expiry,
)

__all__ = [
    "PAYMENT_PURPOSE",
    "CartFill",
    "batch_adjust",
    "batch_receive",
    "batches_expire_due",
    "batches_flag_near_expiry",
    "cart_add_prescription",
    "cart_line_add",
    "cart_line_remove",
    "cart_line_update",
    "medicine_box_item_add",
    "medicine_box_order_create",
    "medicine_box_restock",
    "medicine_box_restock_task_cancel",
    "medicine_box_restock_task_do",
    "medicine_boxes_review",
    "order_cancel",
    "order_checkout",
    "order_complaint_submit",
    "order_dispense",
    "order_expire",
    "order_fulfil",
    "order_insurance_quote",
    "order_line_return",
    "order_pay",
    "order_payment_succeeded",
    "orders_expire_unpaid",
    "products_follow_drug",
    "shipment_create",
    "shipment_poll",
    "shipping_fee_quote",
]
