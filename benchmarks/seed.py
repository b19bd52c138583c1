"""Benchmark data: a catalog of a few thousand products, and buyers with a cart and a session.

Runs inside the benchmark process with Django set up on the benchmark database. The formulary
comes from the shipped CSV through the real loading service; products are bulk-created with the
same derived fields (`Product.sync_from_drug`: Rx flag, purchase limit, search text) a save
would set, and their stock as one received batch each, so the counters match the batches.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import transaction
from django.utils import timezone

CATEGORIES = [
    ("cold-flu", "感冒发烧", "Cold and flu"),
    ("pain", "止痛镇痛", "Pain relief"),
    ("digestive", "肠胃用药", "Digestive health"),
    ("cardio", "心脑血管", "Heart and circulation"),
    ("diabetes", "糖尿病", "Diabetes"),
    ("respiratory", "呼吸系统", "Respiratory"),
    ("skin", "皮肤用药", "Skin care"),
    ("vitamins", "维生素矿物质", "Vitamins and minerals"),
    ("devices", "医疗器械", "Medical devices"),
    ("health", "保健食品", "Health products"),
]
BRANDS = [
    "仁和",
    "同仁堂",
    "云南白药",
    "华润三九",
    "修正",
    "白云山",
    "哈药",
    "扬子江",
    "石药",
    "恒瑞",
]
NON_DRUG = [
    ("devices", "device", "电子血压计", "Electronic blood pressure monitor"),
    ("devices", "device", "血糖试纸", "Blood glucose test strips"),
    ("devices", "device", "医用口罩", "Medical face masks"),
    ("devices", "device", "体温计", "Thermometer"),
    ("health", "health", "维生素C咀嚼片", "Vitamin C chewable tablets"),
    ("health", "health", "钙片", "Calcium tablets"),
    ("health", "health", "鱼油软胶囊", "Fish oil softgels"),
    ("health", "health", "蛋白粉", "Protein powder"),
]
ATC_CATEGORY = {
    "R05": "cold-flu",
    "N02": "pain",
    "M01": "pain",
    "A02": "digestive",
    "A07": "digestive",
    "C": "cardio",
    "A10": "diabetes",
    "R03": "respiratory",
    "R06": "respiratory",
    "D": "skin",
    "A11": "vitamins",
    "A12": "vitamins",
}
RESIDENT_ID_FIRST_17 = "11010519800101001"  # one person per buyer account


def _category_for(atc: str, slugs: dict[str, int]) -> int:
    for prefix in sorted(ATC_CATEGORY, key=len, reverse=True):
        if atc.startswith(prefix):
            return slugs[ATC_CATEGORY[prefix]]
    return slugs["cold-flu"]


@transaction.atomic
def catalog_seed(*, products: int) -> dict[str, int]:
    """At least `products` listed products across the categories, each with one batch."""
    from hospital.prescriptions.models import FormularyDrug
    from hospital.prescriptions.services.formulary import formulary_load
    from pharmacy.models import Batch, Category, Product, StockMovement

    formulary_load()
    slugs = {}
    for position, (slug, zh, en) in enumerate(CATEGORIES):
        category, _ = Category.objects.get_or_create(
            slug=slug, defaults={"name_zh": zh, "name_en": en, "position": position}
        )
        slugs[slug] = category.pk
    drugs = list(
        FormularyDrug.objects.filter(
            is_active=True, control_class=FormularyDrug.ControlClass.NORMAL
        ).order_by("code")
    )
    start = Product.objects.count()
    rows: list[Product] = []
    n = 0
    while len(rows) < products:
        for drug in drugs:
            brand = BRANDS[n % len(BRANDS)]
            pack = f"{12 + (n % 5) * 12}{drug.pack_unit or '片'}/盒"
            rows.append(
                Product(
                    sku=f"B{start + len(rows):06d}",
                    kind=Product.Kind.DRUG,
                    drug=drug,
                    category_id=_category_for(drug.atc_code, slugs),
                    name_zh=drug.generic_name_zh,
                    name_en=drug.generic_name_en,
                    brand=brand,
                    manufacturer=f"{brand}药业有限公司",
                    approval_number=f"国药准字H{20000000 + n:08d}",
                    pack_description=pack,
                    description=f"{drug.generic_name_zh}（{brand}）",
                    price=Decimal(9 + (n * 7) % 190) + Decimal("0.80"),
                )
            )
            n += 1
        for slug, kind, zh, en in NON_DRUG:
            brand = BRANDS[n % len(BRANDS)]
            rows.append(
                Product(
                    sku=f"B{start + len(rows):06d}",
                    kind=kind,
                    category_id=slugs[slug],
                    name_zh=zh,
                    name_en=en,
                    brand=brand,
                    pack_description="1盒",
                    price=Decimal(19 + (n * 11) % 300) + Decimal("0.50"),
                )
            )
            n += 1
    for i, product in enumerate(rows):
        product.sync_from_drug()
        product.stock_on_hand = 50 + i % 200
    created = Product.objects.bulk_create(rows, batch_size=1000)
    expiry = timezone.localdate() + dt.timedelta(days=720)
    batches = Batch.objects.bulk_create(
        [
            Batch(
                product=p,
                lot_number=f"L{p.pk}",
                expiry_date=expiry,
                quantity_received=p.stock_on_hand,
                quantity=p.stock_on_hand,
            )
            for p in created
        ],
        batch_size=1000,
    )
    StockMovement.objects.bulk_create(
        [
            StockMovement(product=b.product, batch=b, kind="received", quantity=b.quantity)
            for b in batches
        ],
        batch_size=1000,
    )
    return {
        "products": Product.objects.count(),
        "listed": Product.objects.listed().count(),
        "categories": len(slugs),
        "drugs": len(drugs),
    }


def hot_product_create(*, stock: int, label: str) -> int:
    """An OTC product with exactly `stock` sellable packs, received through the stock service."""
    from pharmacy.models import Category, Product
    from pharmacy.services.stock import batch_receive

    product = Product(
        sku=f"HOT-{label}-{secrets.token_hex(3)}",
        kind=Product.Kind.HEALTH,
        category=Category.objects.get(slug="health"),
        name_zh=f"限量保健品{label}",
        name_en=f"Limited health product {label}",
        pack_description="1盒",
        price=Decimal("120.00"),
    )
    product.save()
    batch_receive(
        product_id=product.pk,
        lot_number=f"HOT{label}",
        expiry_date=timezone.localdate() + dt.timedelta(days=365),
        quantity=stock,
    )
    return product.pk


def patients_create(
    *, count: int, label: str, name: str, birth_date: dt.date, resident_id_number: str = ""
) -> tuple[list[Any], list[Any]]:
    """`count` patient accounts with one patient profile each, written in bulk."""
    from django.contrib.auth.models import Group

    from accounts.models import PatientProfile, User
    from accounts.roles import Role

    users = []
    for i in range(count):
        user = User(email=f"{label}-{i}@bench.test", display_name=f"{name}{i}")
        user.set_unusable_password()  # a real hash per account would take minutes
        users.append(user)
    users = User.objects.bulk_create(users)
    group, _ = Group.objects.get_or_create(name=str(Role.PATIENT))
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=group.pk) for u in users]
    )
    profiles = PatientProfile.objects.bulk_create(
        [
            PatientProfile(
                account=u,
                relationship=PatientProfile.Relationship.SELF,
                real_name=f"{name}{i}",
                sex=PatientProfile.Sex.MALE,
                birth_date=birth_date,
                resident_id_number=resident_id_number,
            )
            for i, u in enumerate(users)
        ]
    )
    return users, profiles


@dataclass(frozen=True)
class Buyer:
    user_id: int
    patient_id: int
    session_token: str


@transaction.atomic
def buyers_create(*, count: int, product_id: int, label: str) -> list[Buyer]:
    """`count` patient accounts, each with its own patient profile, one pack of the product in
    its cart, and a logged-in session whose key is its allauth app session token."""
    from accounts.validators import resident_id_check_character
    from pharmacy.models import CartLine

    resident_id = RESIDENT_ID_FIRST_17 + resident_id_check_character(RESIDENT_ID_FIRST_17)

    users, profiles = patients_create(
        count=count,
        label=f"buyer-{label}",
        name="买家",
        birth_date=dt.date(1980, 1, 1),
        resident_id_number=resident_id,
    )
    CartLine.objects.bulk_create(
        [
            CartLine(account=u, patient=p, product_id=product_id, quantity=1)
            for u, p in zip(users, profiles, strict=True)
        ]
    )
    # Signed in the way a login signs in: through the configured session engine, so each
    # session is where a buyer who has been browsing would find it (the cache and the database).
    engine = import_module(settings.SESSION_ENGINE)
    sessions = []
    for u in users:
        session = engine.SessionStore()
        session.update(
            {
                SESSION_KEY: str(u.pk),
                BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: u.get_session_auth_hash(),
                "last_activity": time.time(),
            }
        )
        session.create()
        sessions.append(session)
    return [
        Buyer(user_id=u.pk, patient_id=p.pk, session_token=s.session_key)
        for u, p, s in zip(users, profiles, sessions, strict=True)
    ]
