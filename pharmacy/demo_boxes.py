"""Demo medicine boxes: one in a partner fleet's car, one in a partner office, each stocked
from the demo pharmacy's lots through the restock service, as a restocking round would."""

from __future__ import annotations

from typing import Any

from core.exceptions import DomainError
from pharmacy.models import MedicineBox, MedicineBoxItem, Product
from pharmacy.services.boxes import medicine_box_item_add, medicine_box_restock

# Fixed codes, so the printed demo QR codes keep working after a reseed.
DEMO_BOXES = (
    {
        "code": "DEMOCAR1",
        "name": "顺风车队 京A·D2026 车载药箱",
        "partner": "顺风出行北京车队",
        "site": MedicineBox.Site.CAR,
        "city": "北京",
        "location": "后排中央扶手箱",
        "contact_phone": "010-65550101",
    },
    {
        "code": "DEMOOFC1",
        "name": "望京 SOHO 12 层药箱",
        "partner": "北京示例科技有限公司",
        "site": MedicineBox.Site.OFFICE,
        "city": "北京",
        "location": "朝阳区望京街 10 号 望京 SOHO T1 12 层茶水间",
        "contact_phone": "010-65550202",
    },
)
ITEMS_PER_BOX = 6


def _box_products() -> list[Product]:
    """OTC goods on sale with fresh stock: medicines first, then devices and health products."""
    candidates = (
        Product.objects.listed()
        .filter(is_prescription=False, stock_on_hand__gt=10)
        .select_related("drug")
        .order_by("-kind", "sku")
    )
    return [p for p in candidates if p.kind == Product.Kind.DRUG][:8] + [
        p for p in candidates if p.kind != Product.Kind.DRUG
    ][:4]


def seed_medicine_boxes(*, stdout: Any) -> None:
    products = _box_products()
    for index, fields in enumerate(DEMO_BOXES):
        box, _created = MedicineBox.objects.get_or_create(code=fields["code"], defaults=fields)
        chosen = products[index * 3 : index * 3 + ITEMS_PER_BOX]
        for product in chosen:
            item = MedicineBoxItem.objects.filter(box=box, product=product).first()
            if item is None:
                try:
                    item = medicine_box_item_add(
                        box_id=box.pk, product_id=product.pk, par_level=4, reorder_level=1
                    )
                except DomainError:
                    continue
            if not item.lots.exists():
                try:
                    medicine_box_restock(item_id=item.pk)
                except DomainError:
                    continue
        stdout.write(f"  medicine box {box.code}: {box.name}, /box/{box.code}/")
