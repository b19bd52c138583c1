from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from benchmarks.bare.models import ScratchProduct

PAGE_SIZE = 20
FIELDS = (
    "id",
    "sku",
    "kind",
    "name_zh",
    "name_en",
    "brand",
    "pack_description",
    "price",
    "image",
    "is_prescription",
    "purchase_limit",
    "category_id",
    "stock_on_hand",
    "stock_reserved",
)


class ProductListApi(APIView):
    def get(self, request: Request) -> Response:
        products = ScratchProduct.objects.order_by("id")
        after = request.query_params.get("after", "")
        if after.isdigit():
            products = products.filter(id__gt=int(after))
        return Response({"results": list(products.values(*FIELDS)[:PAGE_SIZE])})


class ProductDetailApi(APIView):
    def get(self, request: Request, pk: int) -> Response:
        row = (
            ScratchProduct.objects.filter(pk=pk)
            .values(*FIELDS, "manufacturer", "approval_number", "description")
            .first()
        )
        if row is None:
            raise NotFound
        return Response(row)
