"""Demo shop: a product for every drug of the formulary that may be sold online, devices and
health products, a category tree, and batches (some near expiry, one expired). Idempotent."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.demo import DEMO_PATIENT_EMAIL, DEMO_PHARMACIST_EMAIL
from accounts.models import User
from hospital.prescriptions.models import FormularyDrug, Prescription, PrescriptionItem
from pharmacy.demo_boxes import seed_medicine_boxes
from pharmacy.demo_orders import demo_order_paid, seed_order_demo
from pharmacy.models import Batch, Category, Order, OrderLine, Product, Shipment
from pharmacy.models.catalog import Illustration
from pharmacy.services import batch_receive, batches_expire_due
from pharmacy.services.cart import cart_line_add
from pharmacy.services.delivery import shipment_create, shipment_poll
from pharmacy.services.orders import order_dispense

DRUG_CATEGORIES = {
    # ATC anatomical main group → (slug, 中文, English)
    "A": ("digestive-metabolism", "消化与代谢", "Digestion and metabolism"),
    "B": ("blood", "血液与造血", "Blood"),
    "C": ("cardiovascular", "心脑血管", "Heart and circulation"),
    "D": ("dermatology", "皮肤用药", "Skin"),
    "G": ("genito-urinary", "泌尿生殖与性激素", "Genito-urinary and sex hormones"),
    "H": ("hormones", "激素类", "Hormones"),
    "J": ("anti-infectives", "抗感染", "Anti-infectives"),
    "L": ("immunology", "免疫调节与抗肿瘤", "Immunology and oncology"),
    "M": ("musculoskeletal", "骨骼肌肉", "Muscles, bones and joints"),
    "N": ("nervous-system", "神经系统与止痛", "Nervous system and pain"),
    "P": ("antiparasitic", "抗寄生虫", "Antiparasitics"),
    "R": ("respiratory", "呼吸系统", "Respiratory"),
    "S": ("eyes-ears", "眼耳用药", "Eyes and ears"),
    "V": ("various", "其他用药", "Various"),
}
DEVICE_CATEGORIES = {
    "glucose": ("glucose-monitoring", "血糖监测", "Blood glucose monitoring"),
    "bp": ("blood-pressure", "血压监测", "Blood pressure"),
    "thermo": ("thermometers", "体温计", "Thermometers"),
    "protect": ("masks-protection", "口罩与防护", "Masks and protection"),
    "care": ("wound-care", "护理与敷料", "Wound care"),
    "respiratory": ("respiratory-devices", "呼吸护理设备", "Respiratory care devices"),
}
HEALTH_CATEGORY = ("nutrition", "营养保健", "Nutrition")
# The drawing each demo category's products are shown with until they have photos; the other
# medicine categories take their parent's tablets.
CATEGORY_ILLUSTRATIONS = {
    "medicines": Illustration.TABLETS,
    "devices": Illustration.DEVICE,
    "digestive-metabolism": Illustration.CAPSULES,
    "anti-infectives": Illustration.CAPSULES,
    "dermatology": Illustration.TOPICAL,
    "eyes-ears": Illustration.DROPS,
    "respiratory": Illustration.INHALER,
    "thermometers": Illustration.THERMOMETER,
    "masks-protection": Illustration.MASK,
    "wound-care": Illustration.DRESSING,
    "respiratory-devices": Illustration.INHALER,
    "nutrition": Illustration.SUPPLEMENT,
}

MANUFACTURERS = [
    ("华润三九", "华润三九医药股份有限公司"),
    ("扬子江", "扬子江药业集团有限公司"),
    ("石药", "石药集团欧意药业有限公司"),
    ("齐鲁", "齐鲁制药有限公司"),
    ("白云山", "广州白云山医药集团股份有限公司"),
    ("修正", "修正药业集团股份有限公司"),
    ("哈药", "哈药集团制药总厂"),
    ("恒瑞", "江苏恒瑞医药股份有限公司"),
    ("华北制药", "华北制药股份有限公司"),
    ("东阳光", "宜昌东阳光长江药业股份有限公司"),
]
INGREDIENT_NAME = re.compile(r"[A-Za-z][A-Za-z -]*?\s(?=\d)")

PACK_UNITS_ZH = {
    "tablets": "片",
    "capsules": "粒",
    "g": "g",
    "mL": "ml",
    "vials": "瓶",
    "sachets": "袋",
    "inhalations": "吸",
    "ampoules": "支",
    "pens": "支",
    "syringes": "支",
    "sprays": "喷",
    "bottles": "瓶",
    "units": "单位",
}

NON_DRUGS: list[tuple[str, str, str, str, str, str, str, str]] = [
    # (category key, kind, sku, 中文名, English name, brand, pack, price)
    (
        "glucose",
        "device",
        "DEV-GM-001",
        "血糖仪 安稳+",
        "Blood glucose meter Anwen+",
        "三诺",
        "1台/盒",
        "139.00",
    ),
    (
        "glucose",
        "device",
        "DEV-GM-002",
        "血糖仪 580型",
        "Blood glucose meter 580",
        "鱼跃",
        "1台/盒",
        "119.00",
    ),
    (
        "glucose",
        "device",
        "DEV-GM-003",
        "血糖仪 逸智",
        "Blood glucose meter Instant",
        "罗氏",
        "1台/盒",
        "268.00",
    ),
    (
        "glucose",
        "device",
        "DEV-TS-001",
        "血糖试纸 50片",
        "Glucose test strips, 50",
        "三诺",
        "50片/盒",
        "69.00",
    ),
    (
        "glucose",
        "device",
        "DEV-TS-002",
        "血糖试纸 100片",
        "Glucose test strips, 100",
        "三诺",
        "100片/盒",
        "119.00",
    ),
    (
        "glucose",
        "device",
        "DEV-TS-003",
        "血糖试纸 50片",
        "Glucose test strips, 50",
        "鱼跃",
        "50片/盒",
        "59.00",
    ),
    (
        "glucose",
        "device",
        "DEV-TS-004",
        "血糖试纸 50片",
        "Glucose test strips, 50",
        "罗氏",
        "50片/盒",
        "155.00",
    ),
    (
        "glucose",
        "device",
        "DEV-LC-001",
        "一次性采血针 100支",
        "Lancets, 100",
        "三诺",
        "100支/盒",
        "25.00",
    ),
    (
        "bp",
        "device",
        "DEV-BP-001",
        "上臂式电子血压计 U10K",
        "Upper-arm blood pressure monitor U10K",
        "欧姆龙",
        "1台/盒",
        "299.00",
    ),
    (
        "bp",
        "device",
        "DEV-BP-002",
        "上臂式电子血压计 YE660",
        "Upper-arm blood pressure monitor YE660",
        "鱼跃",
        "1台/盒",
        "169.00",
    ),
    (
        "bp",
        "device",
        "DEV-BP-003",
        "腕式电子血压计",
        "Wrist blood pressure monitor",
        "欧姆龙",
        "1台/盒",
        "259.00",
    ),
    (
        "thermo",
        "device",
        "DEV-TH-001",
        "电子体温计",
        "Digital thermometer",
        "鱼跃",
        "1支/盒",
        "19.90",
    ),
    (
        "thermo",
        "device",
        "DEV-TH-002",
        "红外额温枪",
        "Infrared forehead thermometer",
        "欧姆龙",
        "1台/盒",
        "199.00",
    ),
    (
        "thermo",
        "device",
        "DEV-TH-003",
        "红外耳温计",
        "Infrared ear thermometer",
        "博朗",
        "1台/盒",
        "399.00",
    ),
    (
        "protect",
        "device",
        "DEV-MK-001",
        "医用外科口罩 10只",
        "Surgical masks, 10",
        "稳健",
        "10只/袋",
        "9.90",
    ),
    (
        "protect",
        "device",
        "DEV-MK-002",
        "医用外科口罩 50只",
        "Surgical masks, 50",
        "稳健",
        "50只/盒",
        "39.90",
    ),
    (
        "protect",
        "device",
        "DEV-MK-003",
        "医用防护口罩 N95 10只",
        "N95 medical respirators, 10",
        "3M",
        "10只/盒",
        "59.00",
    ),
    (
        "protect",
        "device",
        "DEV-MK-004",
        "儿童医用口罩 10只",
        "Children's medical masks, 10",
        "振德",
        "10只/袋",
        "12.90",
    ),
    (
        "protect",
        "device",
        "DEV-GL-001",
        "一次性医用检查手套 100只",
        "Examination gloves, 100",
        "英科",
        "100只/盒",
        "35.00",
    ),
    (
        "care",
        "device",
        "DEV-CA-001",
        "创可贴 100片",
        "Adhesive bandages, 100",
        "云南白药",
        "100片/盒",
        "19.90",
    ),
    (
        "care",
        "device",
        "DEV-CA-002",
        "医用棉签 200支",
        "Medical cotton swabs, 200",
        "稳健",
        "200支/包",
        "8.90",
    ),
    (
        "care",
        "device",
        "DEV-CA-003",
        "医用酒精棉片 100片",
        "Alcohol prep pads, 100",
        "振德",
        "100片/盒",
        "12.00",
    ),
    (
        "care",
        "device",
        "DEV-CA-004",
        "医用纱布块 10片",
        "Sterile gauze pads, 10",
        "稳健",
        "10片/袋",
        "6.50",
    ),
    ("care", "device", "DEV-CA-005", "医用弹性绷带", "Elastic bandage", "振德", "1卷/袋", "15.00"),
    (
        "care",
        "device",
        "DEV-CA-006",
        "碘伏消毒液 100ml",
        "Povidone-iodine solution 100 ml",
        "海氏海诺",
        "100ml/瓶",
        "9.80",
    ),
    (
        "respiratory",
        "device",
        "DEV-NB-001",
        "压缩式雾化器",
        "Compressor nebuliser",
        "鱼跃",
        "1台/盒",
        "239.00",
    ),
    (
        "respiratory",
        "device",
        "DEV-OX-001",
        "家用制氧机 1L",
        "Home oxygen concentrator 1 L",
        "鱼跃",
        "1台/箱",
        "1699.00",
    ),
    (
        "respiratory",
        "device",
        "DEV-OM-001",
        "指夹式血氧仪",
        "Fingertip pulse oximeter",
        "鱼跃",
        "1台/盒",
        "129.00",
    ),
    (
        "health",
        "health",
        "HLT-VC-001",
        "维生素C咀嚼片",
        "Vitamin C chewable tablets",
        "汤臣倍健",
        "60片/瓶",
        "49.00",
    ),
    (
        "health",
        "health",
        "HLT-CA-001",
        "钙维生素D片",
        "Calcium with vitamin D tablets",
        "汤臣倍健",
        "100片/瓶",
        "89.00",
    ),
    (
        "health",
        "health",
        "HLT-FO-001",
        "鱼油软胶囊",
        "Fish oil softgels",
        "汤臣倍健",
        "100粒/瓶",
        "128.00",
    ),
    (
        "health",
        "health",
        "HLT-PR-001",
        "蛋白粉 450g",
        "Protein powder 450 g",
        "汤臣倍健",
        "450g/罐",
        "198.00",
    ),
    (
        "health",
        "health",
        "HLT-MV-001",
        "多种维生素矿物质片",
        "Multivitamin and mineral tablets",
        "善存",
        "60片/瓶",
        "99.00",
    ),
    (
        "health",
        "health",
        "HLT-FA-001",
        "叶酸片",
        "Folic acid tablets",
        "斯利安",
        "31片/盒",
        "23.00",
    ),
]


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def _categories() -> dict[str, Category]:
    drugs, _created = Category.objects.get_or_create(
        slug="medicines", defaults={"name_zh": "药品", "name_en": "Medicines", "position": 0}
    )
    devices, _created = Category.objects.get_or_create(
        slug="devices",
        defaults={"name_zh": "医疗器械", "name_en": "Medical devices", "position": 1},
    )
    found: dict[str, Category] = {}
    for position, (key, (slug, zh, en)) in enumerate(DRUG_CATEGORIES.items()):
        found[key], _created = Category.objects.get_or_create(
            slug=slug,
            defaults={"name_zh": zh, "name_en": en, "parent": drugs, "position": position},
        )
    for position, (key, (slug, zh, en)) in enumerate(DEVICE_CATEGORIES.items()):
        found[key], _created = Category.objects.get_or_create(
            slug=slug,
            defaults={"name_zh": zh, "name_en": en, "parent": devices, "position": position},
        )
    slug, zh, en = HEALTH_CATEGORY
    found["health"], _created = Category.objects.get_or_create(
        slug=slug, defaults={"name_zh": zh, "name_en": en, "position": 2}
    )
    # Set on demo databases seeded before categories had illustrations too; one an operator
    # chose is kept.
    for slug, illustration in CATEGORY_ILLUSTRATIONS.items():
        Category.objects.filter(slug=slug, illustration="").update(illustration=illustration)
    return found


def _drug_price(drug: FormularyDrug) -> Decimal:
    low, high = (12, 180) if drug.rx_class == FormularyDrug.RxClass.RX else (6, 58)
    cents = low * 100 + _digest(drug.code) % ((high - low) * 100)
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _drug_product(drug: FormularyDrug, category: Category) -> Product:
    brand, manufacturer = MANUFACTURERS[_digest(drug.code) % len(MANUFACTURERS)]
    unit = PACK_UNITS_ZH.get(drug.pack_unit, drug.pack_unit)
    # A combination's strength names its ingredients in English ("amoxicillin 500 mg/clavulanic
    # acid 125 mg"); the Chinese pack text keeps the amounts only, as a Chinese box prints them.
    strength = INGREDIENT_NAME.sub("", drug.strength)
    pack = f"{strength}×{drug.pack_size}{unit}/盒" if drug.pack_size else f"{strength}/盒"
    kind_letter = "Z" if drug.atc_code.startswith("V") else "H"
    approval = f"国药准字{kind_letter}{20000000 + _digest(drug.code) % 9999999:08d}"
    # Description, indications, dosage and leaflet stay empty: the shop writes them from the
    # drug when a page is read, in the reader's language (pharmacy/product_texts.py).
    return Product(
        sku=f"DRG-{drug.code}"[:40],
        kind=Product.Kind.DRUG,
        drug=drug,
        category=category,
        name_zh=f"{brand} {drug.generic_name_zh}",
        name_en=drug.generic_name_en,
        brand=brand,
        manufacturer=manufacturer,
        approval_number=approval,
        pack_description=pack[:80],
        price=_drug_price(drug),
    )


def _stock(product: Product, today: dt.date) -> None:
    if Batch.objects.filter(product=product).exists():
        return
    seed = _digest(product.sku)
    lot = f"{today:%y}{seed % 100000:05d}"
    near_expiry = seed % 12 == 0
    first_expiry = today + dt.timedelta(days=30 + seed % 50 if near_expiry else 300 + seed % 400)
    batch_receive(
        product_id=product.pk,
        lot_number=f"{lot}A",
        expiry_date=first_expiry,
        quantity=5 + seed % 40,
    )
    if seed % 3:
        batch_receive(
            product_id=product.pk,
            lot_number=f"{lot}B",
            expiry_date=today + dt.timedelta(days=500 + seed % 300),
            quantity=20 + seed % 80,
        )


def seed_demo_data(*, stdout: Any) -> None:
    if not FormularyDrug.objects.exists():
        from hospital.prescriptions.services.formulary import formulary_load

        formulary_load()
    categories = _categories()
    today = timezone.localdate()
    created = 0
    for drug in FormularyDrug.objects.sellable_online().order_by("code"):
        sku = f"DRG-{drug.code}"[:40]
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            product = _drug_product(
                drug,
                categories[drug.atc_code[:1]]
                if drug.atc_code[:1] in categories
                else categories["V"],
            )
            product.save()
            created += 1
        _stock(product, today)
    for key, kind, sku, zh, en, brand, pack, price in NON_DRUGS:
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            product = Product(
                sku=sku,
                kind=kind,
                category=categories[key],
                name_zh=zh,
                name_en=en,
                brand=brand,
                manufacturer=brand,
                approval_number=f"械注准{20230000000 + _digest(sku) % 9999999}"
                if kind == "device"
                else "",
                pack_description=pack,
                # Written when read, in the reader's language (pharmacy/product_texts.py).
                description="",
                indications="",
                dosage="",
                leaflet="",
                price=Decimal(price),
            )
            product.save()
            created += 1
        _stock(product, today)
    _one_expired_batch(today)
    _delivered_demo_order(stdout)
    stdout.write(f"pharmacy: {created} products created, {Product.objects.count()} in the catalog")
    seed_order_demo(stdout=stdout)
    seed_medicine_boxes(stdout=stdout)


def _one_expired_batch(today: dt.date) -> None:
    """One lot past its expiry date, written off by the expiry scan like any other."""
    product = Product.objects.filter(sku="DEV-TS-001").first()
    if product is None or Batch.objects.filter(product=product, lot_number="EXPIRED-DEMO").exists():
        return
    Batch.objects.create(
        product=product,
        lot_number="EXPIRED-DEMO",
        expiry_date=today - dt.timedelta(days=10),
        quantity_received=12,
        quantity=12,
    )
    Product.objects.filter(pk=product.pk).update(stock_on_hand=product.stock_on_hand + 12)
    batches_expire_due(product_ids=[product.pk])


def _delivered_demo_order(stdout: Any) -> None:
    """The demo patient's approved amlodipine bought, dispensed and delivered through the shop's
    own services, so the medication schedule starts from a real delivery. The same-city parcel
    is shown as having left this morning (its waybill dated back): the simulated courier then
    reports it delivered, and today's doses are on the patient's page."""
    item = (
        PrescriptionItem.objects.filter(
            prescription__patient__account__email=DEMO_PATIENT_EMAIL,
            prescription__status=Prescription.Status.APPROVED,
            drug__code="amlodipine-5mg-tab",
        )
        .select_related("prescription__patient__account", "drug")
        .first()
    )
    pharmacist = User.objects.filter(email=DEMO_PHARMACIST_EMAIL).first()
    if item is None or pharmacist is None:
        return
    if OrderLine.objects.filter(prescription_item=item).exists():
        return
    product = Product.objects.filter(sku=f"DRG-{item.drug.code}"[:40]).first()
    if product is None or item.purchased_packs >= item.quantity_packs:
        return
    patient = item.prescription.patient
    account = patient.account
    cart_line_add(
        account=account,
        patient_id=patient.pk,
        product_id=product.pk,
        quantity=1,
        prescription_item_id=item.pk,
        rx_notice_confirmed=True,
    )
    order = demo_order_paid(
        account, patient, delivery_method=Order.DeliveryMethod.INSTANT, address="朝阳区建国路 88 号"
    )
    codes = {
        line.pk: [
            f"8{int(hashlib.sha256(f'demo-{line.pk}-{n}'.encode()).hexdigest()[:12], 16):019d}"
            for n in range(line.quantity)
        ]
        for line in order.lines.filter(is_prescription=True)
    }
    order_dispense(order_id=order.pk, pharmacist=pharmacist, traceability_codes=codes)
    shipment = shipment_create(order_id=order.pk)
    if shipment is None:
        return
    now = timezone.now()
    left_at = timezone.localtime(now).replace(hour=6, minute=30, second=0, microsecond=0)
    if left_at > now - dt.timedelta(hours=1):
        left_at = now - dt.timedelta(hours=1)
    Shipment.objects.filter(pk=shipment.pk).update(created_at=left_at)
    shipment_poll(shipment_id=shipment.pk)
    stdout.write(f"  delivered demo order {order.number}: the medication schedule has started")
