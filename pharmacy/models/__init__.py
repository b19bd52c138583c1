from pharmacy.models.cart import CartLine
from pharmacy.models.catalog import Batch, Category, Product, ProductImage, StockMovement
from pharmacy.models.orders import (
    DispensedPack,
    Order,
    OrderEvent,
    OrderLine,
    OrderLinePick,
    Shipment,
    TrackingEvent,
)

__all__ = [
    "Batch",
    "CartLine",
    "Category",
    "DispensedPack",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderLinePick",
    "Product",
    "ProductImage",
    "Shipment",
    "StockMovement",
    "TrackingEvent",
]
