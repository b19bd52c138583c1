"""Factories for the shop: categories, products (drug and non-drug), stocked batches, and
approved prescriptions a buyer can shop against."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from hospital.prescriptions.models import FormularyDrug, PrescriptionItem
from pharmacy.models import Batch, Category, Order, Product
from pharmacy.services import batch_receive
from tests.hospital.review_factories import (
    ApprovedPrescriptionFactory,
    DrugFactory,
    PrescriptionItemFactory,
)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name_zh = factory.Sequence(lambda n: f"分类{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    """A non-drug health product (device) unless given a drug."""

    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    kind = Product.Kind.DEVICE
    category = factory.SubFactory(CategoryFactory)
    name_zh = factory.Sequence(lambda n: f"血糖试纸{n}")
    name_en = factory.Sequence(lambda n: f"Test strips {n}")
    brand = "三诺"
    manufacturer = "三诺生物传感股份有限公司"
    pack_description = "50片/盒"
    price = Decimal("25.00")


class OtcDrugProductFactory(ProductFactory):
    kind = Product.Kind.DRUG
    drug = factory.SubFactory(DrugFactory, rx_class=FormularyDrug.RxClass.OTC_A)
    name_zh = factory.LazyAttribute(lambda o: o.drug.generic_name_zh)
    name_en = factory.LazyAttribute(lambda o: o.drug.generic_name_en)


class RxProductFactory(ProductFactory):
    kind = Product.Kind.DRUG
    drug = factory.SubFactory(DrugFactory, rx_class=FormularyDrug.RxClass.RX)
    name_zh = factory.LazyAttribute(lambda o: o.drug.generic_name_zh)
    name_en = factory.LazyAttribute(lambda o: o.drug.generic_name_en)
    indications = "高血压。"
    dosage = "每日一次，每次一片。"
    leaflet = "【成份】测试。"
    price = Decimal("38.50")


def stock(product: Product, quantity: int, *, days: int = 365, lot: str | None = None) -> Batch:
    """Receives a lot of the product through the service (counters kept in step)."""
    batch = batch_receive(
        product_id=product.pk,
        lot_number=lot or f"L{Batch.objects.count() + 1:06d}",
        expiry_date=timezone.localdate() + dt.timedelta(days=days),
        quantity=quantity,
    )
    product.refresh_from_db()
    return batch


def expired_batch(product: Product, quantity: int, *, days_ago: int = 1) -> Batch:
    """A lot that expired without the scan having run yet (counted in stock_on_hand)."""
    batch = Batch.objects.create(
        product=product,
        lot_number=f"EXP{Batch.objects.count() + 1:05d}",
        expiry_date=timezone.localdate() - dt.timedelta(days=days_ago),
        quantity_received=quantity,
        quantity=quantity,
    )
    Product.objects.filter(pk=product.pk).update(stock_on_hand=product.stock_on_hand + quantity)
    product.refresh_from_db()
    return batch


def approved_item(
    patient: Any, drug: FormularyDrug, *, packs: int = 3, **kwargs: Any
) -> PrescriptionItem:
    """An approved, valid prescription of `drug` for `patient` with `packs` to buy."""
    rx = ApprovedPrescriptionFactory(
        consultation__appointment__patient=patient, item=None, **kwargs
    )
    return PrescriptionItemFactory(prescription=rx, drug=drug, quantity_packs=packs)


_pack_serial = itertools.count(1)


def scanned_codes(order: Order) -> dict[int, list[str]]:
    """Traceability codes for every pack of the order's prescription lines, as a pharmacist's
    scanner reads them: 20 digits, each pack its own."""
    return {
        line.pk: [f"8{next(_pack_serial):019d}" for _ in range(line.quantity)]
        for line in order.lines.filter(is_prescription=True)
    }
