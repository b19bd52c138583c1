"""The shop's API: one thin view per operation; services do the work, selectors the reads."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.rules import is_pharmacist
from core.api.pagination import CursorPagination, PageNumberPagination
from core.api.schema import IDEMPOTENCY_HEADER
from core.idempotency import idempotent
from pharmacy import selectors, services
from pharmacy.api import serializers as s

SHOP = ["shop"]
ORDERS = ["orders"]


class IsPharmacist(BasePermission):
    message = "Only pharmacists dispense prescription orders."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(is_pharmacist(request.user))


class CatalogCursorPagination(CursorPagination):
    page_size = 20
    ordering = "id"


class CategoryListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="category_list",
        summary="The category tree, flat (each names its parent)",
        responses=s.CategoryOutput(many=True),
        tags=SHOP,
    )
    def get(self, request: Request) -> Response:
        return Response(s.CategoryOutput(selectors.category_list(), many=True).data)


class ProductListApi(GenericAPIView):
    permission_classes = [AllowAny]
    pagination_class = CatalogCursorPagination
    serializer_class = s.ProductListItemOutput

    @extend_schema(
        operation_id="product_list",
        summary="Search and browse the catalog (zh/en name, brand, ingredient, pinyin initials)",
        parameters=[s.ProductListFilters],
        tags=SHOP,
    )
    def get(self, request: Request) -> Response:
        filters = s.ProductListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.product_list(**filters.validated_data))
        # Rendered as ProductListItemOutput (the serializer_class above) would render it.
        return self.get_paginated_response(s.product_list_items(page or []))


class ProductDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(operation_id="product_retrieve", responses=s.ProductDetailOutput, tags=SHOP)
    def get(self, request: Request, pk: int) -> Response:
        product = selectors.product_get(product_id=pk)
        context = {
            "details_visible": selectors.product_details_visible(
                product=product, viewer=request.user
            ),
            "prescription_items": selectors.purchasable_items_for_product(
                account=request.user, product=product
            ),
        }
        return Response(s.ProductDetailOutput(product, context=context).data)


def _cart_response(request: Request, status: int = 200) -> Response:
    lines = selectors.cart_lines(account=request.user)
    data = {
        "lines": lines,
        "items_total": selectors.cart_total(lines),
        "requires_prescription": any(line.product.is_prescription for line in lines),
    }
    return Response(s.CartOutput(data).data, status=status)


class CartApi(APIView):
    @extend_schema(operation_id="cart_retrieve", responses=s.CartOutput, tags=SHOP)
    def get(self, request: Request) -> Response:
        return _cart_response(request)


class CartLineCreateApi(APIView):
    @extend_schema(
        operation_id="cart_line_create",
        summary="Put a product in the cart for one of your patients",
        request=s.CartLineInput,
        responses={201: s.CartOutput},
        tags=SHOP,
    )
    def post(self, request: Request) -> Response:
        data = s.CartLineInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.cart_line_add(
            account=request.user,
            patient_id=v["patient"],
            product_id=v["product"],
            quantity=v["quantity"],
            prescription_item_id=v.get("prescription_item"),
            rx_notice_confirmed=v["rx_notice_confirmed"],
        )
        return _cart_response(request, status=201)


class CartLineDetailApi(APIView):
    @extend_schema(
        operation_id="cart_line_update",
        request=s.CartLineUpdateInput,
        responses=s.CartOutput,
        tags=SHOP,
    )
    def patch(self, request: Request, pk: int) -> Response:
        selectors.cart_line_check_own(account=request.user, line_id=pk)
        data = s.CartLineUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.cart_line_update(
            account=request.user, line_id=pk, quantity=data.validated_data["quantity"]
        )
        return _cart_response(request)

    @extend_schema(operation_id="cart_line_delete", responses=s.CartOutput, tags=SHOP)
    def delete(self, request: Request, pk: int) -> Response:
        services.cart_line_remove(account=request.user, line_id=pk)
        return _cart_response(request)


class CheckoutApi(APIView):
    @extend_schema(
        operation_id="checkout",
        summary="Turn the cart into an order waiting for payment (stock and prescriptions held)",
        parameters=[IDEMPOTENCY_HEADER],
        request=s.CheckoutInput,
        responses={201: s.OrderDetailOutput},
        tags=ORDERS,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = s.CheckoutInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        order = services.order_checkout(
            account=request.user,
            delivery_method=v["delivery_method"],
            recipient_name=v["recipient_name"],
            recipient_phone=v["recipient_phone"],
            city=v["city"],
            address=v["address"],
            line_ids=v.get("lines"),
        )
        return Response(s.OrderDetailOutput(order).data, status=201)


class OrderListApi(GenericAPIView):
    pagination_class = PageNumberPagination
    serializer_class = s.OrderSummaryOutput

    @extend_schema(
        operation_id="order_list",
        parameters=[OpenApiParameter("status", str, description="Only orders in this status")],
        tags=ORDERS,
    )
    def get(self, request: Request) -> Response:
        orders = selectors.order_list(
            account=request.user, status=request.query_params.get("status", "")[:20]
        )
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(s.OrderSummaryOutput(page, many=True).data)


class OrderDetailApi(APIView):
    @extend_schema(operation_id="order_retrieve", responses=s.OrderDetailOutput, tags=ORDERS)
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            s.OrderDetailOutput(selectors.order_get(account=request.user, order_id=pk)).data
        )


class OrderPayApi(APIView):
    @extend_schema(
        operation_id="order_pay",
        summary="Start paying an order; returns where to send the payer",
        parameters=[IDEMPOTENCY_HEADER],
        request=None,
        responses=s.OrderPayOutput,
        tags=ORDERS,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        started = services.order_pay(account=request.user, order_id=pk)
        return Response(
            s.OrderPayOutput({"order": started.order, "redirect_url": started.redirect_url}).data
        )


class OrderCancelApi(APIView):
    @extend_schema(
        operation_id="order_cancel",
        summary="Cancel before shipping: a paid order is refunded in full",
        request=s.OrderCancelInput,
        responses=s.OrderDetailOutput,
        tags=ORDERS,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.OrderCancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_cancel(
            order_id=pk,
            actor=request.user,
            account=request.user,
            reason=data.validated_data["reason"],
        )
        return Response(
            s.OrderDetailOutput(selectors.order_get(account=request.user, order_id=pk)).data
        )


class OrderTrackingApi(APIView):
    @extend_schema(operation_id="order_tracking", responses=s.TrackingOutput, tags=ORDERS)
    def get(self, request: Request, pk: int) -> Response:
        order, shipment = selectors.shipment_for_order(account=request.user, order_id=pk)
        return Response(
            s.TrackingOutput(
                {"order": order.pk, "order_status": order.status, "shipment": shipment}
            ).data
        )


class OrderReturnApi(APIView):
    @extend_schema(
        operation_id="order_return",
        summary="Return delivered non-drug items (medicines are not returnable)",
        request=s.OrderReturnInput,
        responses=s.OrderDetailOutput,
        tags=ORDERS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.order_check_own(account=request.user, order_id=pk)
        data = s.OrderReturnInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.order_line_return(
            account=request.user,
            order_id=pk,
            line_id=v["line"],
            quantity=v["quantity"],
            reason=v["reason"],
        )
        return Response(
            s.OrderDetailOutput(selectors.order_get(account=request.user, order_id=pk)).data
        )


class OrderComplaintApi(APIView):
    @extend_schema(
        operation_id="order_complaint",
        summary="Report a quality problem with delivered goods to the operators",
        request=s.OrderComplaintInput,
        responses={202: None},
        tags=ORDERS,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.order_check_own(account=request.user, order_id=pk)
        data = s.OrderComplaintInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_complaint_submit(
            account=request.user, order_id=pk, text=data.validated_data["text"]
        )
        return Response(status=202)


class DispensingQueueApi(GenericAPIView):
    permission_classes = [IsPharmacist]
    pagination_class = PageNumberPagination
    serializer_class = s.DispensingQueueOrderOutput

    @extend_schema(
        operation_id="dispensing_queue",
        summary="Paid prescription orders waiting for a pharmacist",
        tags=["dispensing"],
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.dispensing_queue())
        return self.get_paginated_response(s.DispensingQueueOrderOutput(page, many=True).data)


class OrderDispenseApi(APIView):
    permission_classes = [IsPharmacist]

    @extend_schema(
        operation_id="order_dispense",
        summary="Verify a prescription order and pick its lots (or refuse it with a note)",
        request=s.OrderDispenseInput,
        responses=s.OrderDetailOutput,
        tags=["dispensing"],
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.OrderDispenseInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_dispense(
            order_id=pk,
            pharmacist=request.user,
            approve=data.validated_data["approve"],
            note=data.validated_data["note"],
            traceability_codes=data.validated_data["traceability_codes"],
        )
        return Response(s.OrderDetailOutput(selectors.order_get_for_staff(order_id=pk)).data)


BOXES = ["medicine boxes"]


class MedicineBoxDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="medicine_box_retrieve",
        summary="A medicine box by the code printed on it: what it sells and has left",
        responses=s.MedicineBoxOutput,
        tags=BOXES,
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(s.MedicineBoxOutput(selectors.medicine_box_get(code=code)).data)


class MedicineBoxOrderCreateApi(APIView):
    @extend_schema(
        operation_id="medicine_box_order_create",
        summary="Buy from a medicine box: an order collected at the box once paid (no delivery)",
        parameters=[IDEMPOTENCY_HEADER],
        request=s.MedicineBoxOrderInput,
        responses={201: s.OrderDetailOutput},
        tags=BOXES,
    )
    @idempotent
    def post(self, request: Request, code: str) -> Response:
        data = s.MedicineBoxOrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        order = services.medicine_box_order_create(
            account=request.user,
            box_code=code,
            product_id=v["product"],
            quantity=v["quantity"],
            patient_id=v["patient"],
        )
        return Response(s.OrderDetailOutput(order).data, status=201)
