"""The bare baseline: the catalog page straight from the Product table, no DRF.

Same filters (listed products, search terms, category, Rx flag), same order, same page size and
the same keyset cursor as the catalog API, read with `.values()` and returned by JsonResponse.
What the API spends beyond this (authentication, throttling, serializers, pagination objects,
content negotiation) is what the throughput ratio measures.
"""

from __future__ import annotations

from django.db.models import F
from django.http import Http404, HttpRequest, JsonResponse

from pharmacy.models import Category, Product
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
