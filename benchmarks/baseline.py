"""The bare baselines: the catalog page straight from the Product table, no DRF; and the
minimal checkout (below).

Same filters (listed products, search terms, category, Rx flag), same order, same page size and
the same keyset cursor as the catalog API, read with `.values()` and returned by JsonResponse.
What the API spends beyond this (authentication, throttling, serializers, pagination objects,
content negotiation) is what the throughput ratio measures.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from pharmacy.models import CartLine, Category, Order, OrderLine, Product
from pharmacy.search import query_terms
from pharmacy.selectors import PRODUCT_LIST_FIELDS

PAGE_SIZE = 20
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


def category_ids(category: str) -> list[int]:
    """The category (id or slug) and everything under it."""
    rows = list(Category.objects.filter(is_active=True).values_list("id", "slug", "parent_id"))
    chosen = {r[0] for r in rows if str(r[0]) == category or r[1] == category}
    frontier = set(chosen)
    while frontier:
        frontier = {r[0] for r in rows if r[2] in frontier} - chosen
        chosen |= frontier
    return sorted(chosen)


def product_queryset(*, q: str = "", category: str = "", rx: str = ""):
    products = Product.objects.listed()
    for term in query_terms(q):
        products = products.filter(search_text__contains=term)
    if category:
        products = products.filter(category_id__in=category_ids(category))
    if rx.lower() in TRUE + FALSE:
        products = products.filter(is_prescription=rx.lower() in TRUE)
    return products.order_by("id")


def product_list(request: HttpRequest) -> JsonResponse:
    products = product_queryset(
        q=request.GET.get("q", ""),
        category=request.GET.get("category", ""),
        rx=request.GET.get("rx", ""),
    )
    after = request.GET.get("after", "")
    if after.isdigit():
        products = products.filter(id__gt=int(after))
    rows = list(
        products.values(
            *PRODUCT_LIST_FIELDS, stock_available=F("stock_on_hand") - F("stock_reserved")
        )[: PAGE_SIZE + 1]
    )
    page, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    next_url = None
    if more:
        query = request.GET.copy()
        query["after"] = str(page[-1]["id"])
        next_url = f"{request.path}?{query.urlencode()}"
    return JsonResponse({"next": next_url, "results": page})


def product_detail(request: HttpRequest, pk: int) -> JsonResponse:
    row = (
        Product.objects.listed()
        .filter(pk=pk)
        .values(
            *PRODUCT_LIST_FIELDS,
            "manufacturer",
            "approval_number",
            "description",
            stock_available=F("stock_on_hand") - F("stock_reserved"),
        )
        .first()
    )
    if row is None:
        raise Http404
    return JsonResponse(row)


@csrf_exempt
@require_POST
def checkout(request: HttpRequest) -> JsonResponse:
    """The least a correct checkout does, on the same tables, in one transaction: lock the
    stock row, take the packs, write the order and its line, remove the cart line. No
    authentication (the account is named in the body), no idempotency, no prescriptions, no
    insurance, no history: what the API does beyond this is what the checkout ratio measures."""
    try:
        account_id = int(json.loads(request.body)["account"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": "name the account"}, status=400)
    with transaction.atomic():
        line = (
            CartLine.objects.select_for_update()
            .filter(account_id=account_id)
            .values("pk", "patient_id", "product_id", "quantity")
            .first()
        )
        if line is None:
            return JsonResponse({"detail": "cart is empty"}, status=400)
        product = (
            Product.objects.select_for_update()
            .values("stock_on_hand", "stock_reserved", "price", "name_zh")
            .get(pk=line["product_id"])
        )
        if product["stock_on_hand"] - product["stock_reserved"] < line["quantity"]:
            return JsonResponse({"detail": "out of stock"}, status=409)
        Product.objects.filter(pk=line["product_id"]).update(
            stock_reserved=F("stock_reserved") + line["quantity"]
        )
        total = product["price"] * line["quantity"]
        now = timezone.now()
        (order,) = Order.objects.bulk_create(
            [
                Order(
                    number=f"B{now:%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}",
                    account_id=account_id,
                    delivery_method=Order.DeliveryMethod.EXPRESS,
                    recipient_name="张三",
                    recipient_phone="13800138000",
                    city="上海",
                    address="浦东新区世纪大道100号",
                    items_total=total,
                    shipping_fee=Decimal("0.00"),
                    gross_total=total,
                    patient_due=total,
                    expires_at=now + dt.timedelta(minutes=30),
                )
            ]
        )
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    product_id=line["product_id"],
                    patient_id=line["patient_id"],
                    product_name=product["name_zh"],
                    quantity=line["quantity"],
                    unit_price=product["price"],
                    line_total=total,
                )
            ]
        )
        CartLine.objects.filter(pk=line["pk"]).delete()
    return JsonResponse({"id": order.pk, "number": order.number}, status=201)
