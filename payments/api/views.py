from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payments.api.serializers import PaymentOutput, WebhookOutput
from payments.providers.base import InvalidCallback
from payments.selectors import payment_get_for_payer
from payments.services import payment_callback_process


class PaymentDetailApi(APIView):
    @extend_schema(
        operation_id="payment_retrieve",
        summary="One of the account's payments, with its refunds",
        responses={200: PaymentOutput},
        tags=["payments"],
    )
    def get(self, request: Request, token: str) -> Response:
        payment = payment_get_for_payer(payer=request.user, token=token)
        return Response(PaymentOutput(payment).data)


class PaymentWebhookApi(APIView):
    """A gateway's signed callback. Authenticated by its HMAC signature, not by a session."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        operation_id="payment_webhook",
        summary="Signed payment callback from a gateway (idempotent, safe out of order)",
        description=(
            "Body signed with HMAC-SHA256 under the provider's webhook secret, sent as "
            "`X-Xinglin-Signature: sha256=<hex>`. A repeated event, or a status behind the "
            "payment's current one, is acknowledged and changes nothing."
        ),
        parameters=[OpenApiParameter("X-Xinglin-Signature", str, OpenApiParameter.HEADER)],
        request={"application/json": {"type": "object"}},
        responses={200: WebhookOutput, 400: OpenApiResponse(description="bad signature/body")},
        tags=["payments"],
        auth=[],
    )
    def post(self, request: Request, provider: str) -> Response:
        try:
            callback = payment_callback_process(
                provider_name=provider, body=request.body, headers=request.headers
            )
        except InvalidCallback as error:
            return Response(
                {"detail": f"Callback rejected: {error}", "code": "invalid_callback"}, status=400
            )
        return Response({"event_id": callback.event_id, "outcome": callback.outcome})
