from pharmacy.models.boxes import (
    MedicineBox,
    MedicineBoxItem,
    MedicineBoxLot,
    MedicineBoxMovement,
    MedicineBoxRestockTask,
    MedicineBoxRestockTaskEvent,
)
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
    "MedicineBox",
    "MedicineBoxItem",
    "MedicineBoxLot",
    "MedicineBoxMovement",
    "MedicineBoxRestockTask",
    "MedicineBoxRestockTaskEvent",
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
