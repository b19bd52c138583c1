"""The sandbox gateway's page: the payer confirms or declines a test payment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import NotFound
from payments.models import Payment
from payments.selectors import payment_get_for_payer
from payments.services import payment_sandbox_complete


@login_required
@require_http_methods(["GET", "POST"])
def sandbox(request: HttpRequest, token: str) -> HttpResponse:
    try:
        payment = payment_get_for_payer(payer=request.user, token=token)
    except NotFound as error:
        raise Http404(error.message) from None
    if payment.provider != "sandbox":
        raise Http404("No such payment.")
    if request.method == "POST" and payment.status == Payment.Status.WAITING:
        payment_sandbox_complete(payment=payment, succeed=request.POST.get("choice") == "pay")
        payment.refresh_from_db()
        # Told here, before going back: the page the payer returns to belongs to the app the
        # payment was for, which knows nothing of how the gateway answered.
        if payment.status == Payment.Status.PAID:
            messages.success(
                request,
                _("Payment received: ¥%(amount)s for %(what)s. Thank you.")
                % {"amount": payment.amount, "what": payment.description},
            )
        else:
            messages.warning(
                request,
                _("The payment did not go through; nothing was charged. You can try again."),
            )
        if payment.return_path:
            return redirect(payment.return_path)
    return render(request, "payments/sandbox.html", {"payment": payment})
