"""An order after checkout: payment, expiry, cancellation and refund, dispensing, returns.

Lock order, everywhere: the order's payment (when it has one), then the order, then product
rows in pk order, then batches, then prescription items. The payment gateway's callback locks
the payment and then (through the payments signal) the order, so cancellation takes them in the
same order and the two can never wait on each other in a cycle.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts.rules import is_operator, is_pharmacist
from audit.services import access_log_record
from core.actors import acting_user
from core.exceptions import Conflict, DomainError, NotAllowed, NotFound
from core.outbox import outbox_enqueue
from core.system_text import SystemText, system_text
from core.transitions import status_change
from hospital.prescriptions.models import Prescription
from hospital.prescriptions.services.supply import prescription_item_restore
from insurance.services.point_of_sale import sale_confirm_all, sale_reverse
from notifications.kinds import kind_register
from notifications.services import notification_send, notification_send_to_operators
from payments.models import Payment
from payments.services import payment_cancel, payment_create, payment_refund, payment_start
from pharmacy.models import Order, OrderEvent, OrderLine
from pharmacy.rules import figure
from pharmacy.services.boxes import medicine_box_order_collect, medicine_box_stock_release
from pharmacy.services.checkout import PAYMENT_PURPOSE, order_settlement_references
from pharmacy.services.stock import (
    dispensed_packs_record,
    order_pick,
    order_quantities,
    order_restock,
    stock_release,
)

logger = logging.getLogger(__name__)

# The shop's notices, so preferences, the inbox and the admin can name them.
kind_register("pharmacy.order_paid", gettext_lazy("Order paid"))
kind_register("pharmacy.order_not_settled", gettext_lazy("Order not settled with insurance"))
kind_register("pharmacy.order_cancelled", gettext_lazy("Order cancelled"))
kind_register("pharmacy.order_refused", gettext_lazy("Order refused at dispensing"))
kind_register("pharmacy.order_shipped", gettext_lazy("Order shipped"))
kind_register("pharmacy.order_out_for_delivery", gettext_lazy("Order out for delivery"))
kind_register("pharmacy.order_delivered", gettext_lazy("Order delivered"))
# Operators' work: they may not turn it off.
kind_register("pharmacy.short_pick", gettext_lazy("Order cannot be picked"), optional=False)
kind_register(
    "pharmacy.quality_complaint", gettext_lazy("Quality complaint about an order"), optional=False
)

S = Order.Status
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class OrderPaymentStart:
    order: Order
    payment: Payment | None
    redirect_url: str


def order_link(order: Order) -> str:
    return reverse("pharmacy:order-detail", args=[order.pk])


def order_notify(
    order: Order, *, kind: str, subject: str | SystemText, body: str | SystemText = ""
) -> None:
    recipient_id = order.account_id
    key = f"{kind}:{order.pk}"
    link = order_link(order)

    def send() -> None:
        from accounts.models import User

        recipient = User.objects.filter(pk=recipient_id).first()
        if recipient is not None:
            notification_send(
                recipient=recipient,
                kind=kind,
                subject=subject,
                body=body or order.number,
                dedupe_key=key,
                link=link,
            )

    transaction.on_commit(send)


def _lock_own(account: Any, order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id, account=account).first()
    if order is None:
        raise NotFound(_("No such order."))
    return order


def _lock_with_payment(order_id: int) -> Order:
    """Locks the order's payment (if any) and then the order, re-reading until they agree
    (the payment is replaced only under the order's lock, so one retry settles it)."""
    for _attempt in range(3):
        payment_id = Order.objects.filter(pk=order_id).values_list("payment_id", flat=True).first()
        if payment_id is not None:
            Payment.objects.select_for_update().filter(pk=payment_id).first()
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None:
            raise NotFound(_("No such order."))
        if order.payment_id == payment_id:
            return order
    raise Conflict(_("The order is being changed; try again."), code="busy")


# --- payment ------------------------------------------------------------------------------


def _attach_payment(order: Order) -> Payment:
    payment = payment_create(
        payer=order.account,
        purpose=PAYMENT_PURPOSE,
        reference=str(order.pk),
        gross_amount=order.gross_total,
        covered_amount=order.insurance_share,
        description=_("Pharmacy order %(number)s") % {"number": order.number},
        return_path=order_link(order),
    )
    order.payment = payment
    order.save(update_fields=["payment", "updated_at"])
    return payment


@transaction.atomic
def order_pay(*, account: Any, order_id: int) -> OrderPaymentStart:
    """Starts (or restarts, after a declined attempt) the payment of an order waiting for it."""
    order = _lock_own(account, order_id)
    if order.status != S.PENDING_PAYMENT:
        raise Conflict(_("This order is not waiting for payment."), code="not_payable")
    if order.expires_at <= timezone.now():
        raise Conflict(_("The time to pay this order has run out."), code="expired")
    if order.patient_due <= 0:
        # Insurance pays it all: settled now, or refused (409) while the order waits.
        sale_confirm_all(references=order_settlement_references(order))
        _mark_paid(order, note="nothing to pay")
        return OrderPaymentStart(order=order, payment=None, redirect_url=order_link(order))
    payment = order.payment
    if payment is None or payment.status != Payment.Status.WAITING:
        payment = _attach_payment(order)
    started = payment_start(payment=payment)
    return OrderPaymentStart(order=order, payment=payment, redirect_url=started.redirect_url)


def _mark_paid(order: Order, *, note: str) -> None:
    order.paid_at = timezone.now()
    status_change(order, S.PAID, actor=None, note=note, fields=("paid_at",))
    if order.medicine_box_id is not None:
        _collect_at_box(order)
        return
    if order.requires_dispensing:
        status_change(order, S.AWAITING_DISPENSING, actor=None)
    else:
        status_change(order, S.PACKING, actor=None)
        from pharmacy.tasks import fulfil_order

        outbox_enqueue(fulfil_order, order_id=order.pk)
    order_notify(
        order,
        kind="pharmacy.order_paid",
        subject=system_text(gettext_noop("We received your payment")),
    )


def _collect_at_box(order: Order) -> None:
    """A paid box order is handed over at the box at once; if the box's lots no longer cover
    it (a lot expired while the buyer paid), the money goes straight back."""
    try:
        with transaction.atomic():
            medicine_box_order_collect(order=order)
    except Conflict as error:
        order.refresh_from_db()
        _cancel_locked(order, actor=None, reason=f"box could not hand over: {error.message}")
        order_notify(
            order,
            kind="pharmacy.box_order_refunded",
            subject=system_text(
                gettext_noop("The medicine box could not hand over order %(number)s"),
                number=order.number,
            ),
            body=system_text(gettext_noop("Your payment is refunded in full.")),
        )
        return
    order_notify(
        order,
        kind="pharmacy.box_order_collected",
        subject=system_text(
            gettext_noop("Order %(number)s paid: take your medicine from the box"),
            number=order.number,
        ),
    )


def order_payment_succeeded(*, payment: Payment) -> None:
    """A payment for an order went through (called inside the payment's transaction, the
    payment already locked). Marks the order paid; a payment for an order no longer waiting for
    it (expired, cancelled, paid by another attempt) goes straight back."""
    if payment.purpose != PAYMENT_PURPOSE:
        return
    order = Order.objects.select_for_update().filter(pk=int(payment.reference)).first()
    if order is not None and order.payment_id == payment.pk:
        if order.status == S.PENDING_PAYMENT:
            try:
                sale_confirm_all(references=order_settlement_references(order))
            except Conflict:
                _refund_unsettled(order, payment)
                return
            _mark_paid(order, note="paid")
            return
        if order.paid_at is not None and order.status != S.REFUNDED:
            return
    payment_refund(payment_id=payment.pk, reason="order no longer waiting when payment arrived")
    logger.info("payment %s arrived for an order no longer waiting; refunded", payment.pk)


def _refund_unsettled(order: Order, payment: Payment) -> None:
    """The patient paid their part of a split insurance will no longer settle (the quote
    expired, or another settlement used the deductible or the account meanwhile): charging
    them more without asking is not an option, so the order is cancelled and the money goes
    back; ordering again gives a new quote."""
    reason = "insurance split changed before settlement"
    payment_refund(payment_id=payment.pk, reason=reason)
    order.cancelled_at, order.cancel_reason = timezone.now(), reason
    status_change(
        order, S.CANCELLED, actor=None, note=reason, fields=("cancelled_at", "cancel_reason")
    )
    _give_back(order, actor=None, note=reason)
    order_notify(
        order,
        kind="pharmacy.order_not_settled",
        subject=system_text(
            gettext_noop("Your order %(number)s could not be settled with your insurance"),
            number=order.number,
        ),
        body=system_text(
            gettext_noop(
                "Your insurance's share changed before the payment arrived. Your payment is "
                "refunded in full; order again to see the new split."
            )
        ),
    )


def _reverse_settlements(order: Order, *, reason: str) -> None:
    for reference in order_settlement_references(order):
        sale_reverse(reference=reference, reason=reason)


# --- cancellation, expiry ---------------------------------------------------------------


def _give_back(order: Order, *, actor: Any, note: str) -> None:
    """Stock (picked or reserved) and prescription packs of a cancelled, unshipped order."""
    if order.medicine_box_id is not None:
        # Box orders are cancellable only until collected: their packs are held on the box.
        medicine_box_stock_release(order=order)
    elif order.picked_at is not None:
        order_restock(order=order, actor=actor)
    else:
        stock_release(quantities=order_quantities(order), order=order, note=note)
    rx_lines = (
        order.lines.filter(prescription_item__isnull=False)
        .order_by("prescription_item_id")
        .values_list("prescription_item_id", "quantity")
    )
    for item_id, packs in rx_lines:
        prescription_item_restore(item_id=item_id, packs=packs)


def _cancel_locked(order: Order, *, actor: Any, reason: str) -> Order:
    if order.status in (S.CANCELLED, S.REFUNDED):
        return order
    if order.status not in Order.CANCELLABLE:
        raise Conflict(
            _("The order has left the pharmacy and can no longer be cancelled."),
            code="not_cancellable",
        )
    now = timezone.now()
    order.cancelled_at, order.cancel_reason = now, reason[:200]
    fields = ("cancelled_at", "cancel_reason")
    if order.status == S.PENDING_PAYMENT:
        if order.payment_id is not None:
            payment_cancel(payment_id=order.payment_id)
        status_change(order, S.CANCELLED, actor=actor, note=reason, fields=fields)
    else:
        if order.payment_id is not None:
            payment_refund(
                payment_id=order.payment_id,
                reason=reason or "order cancelled",
                requested_by=acting_user(actor),
            )
        _reverse_settlements(order, reason=reason or "order cancelled")
        status_change(order, S.REFUNDED, actor=actor, note=reason, fields=fields)
    _give_back(order, actor=actor, note=reason)
    return order


@transaction.atomic
def order_cancel(*, order_id: int, actor: Any, reason: str = "", account: Any = None) -> Order:
    """Cancels an order before it ships: a paid order is refunded in full; stock and
    prescription packs are given back. `account` scopes the order to its buyer (the API);
    without it the actor must be an operator or pharmacist. Idempotent."""
    if account is not None:
        if not Order.objects.filter(pk=order_id, account=account).exists():
            raise NotFound(_("No such order."))
    elif actor is None or not (is_operator(actor) or is_pharmacist(actor)):
        raise NotAllowed(_("Only the buyer, an operator or a pharmacist may cancel an order."))
    order = _lock_with_payment(order_id)
    was = order.status
    _cancel_locked(order, actor=actor, reason=reason or "cancelled by the buyer")
    if was != order.status:
        order_notify(
            order,
            kind="pharmacy.order_cancelled",
            subject=system_text(
                gettext_noop("Your order %(number)s was cancelled"), number=order.number
            ),
            body=system_text(gettext_noop("Anything you paid is refunded to where it came from."))
            if order.status == S.REFUNDED
            else order.number,
        )
    return order


@transaction.atomic
def order_expire(*, order_id: int) -> bool:
    """Cancels an order still unpaid after its payment window (the scan's unit of work)."""
    order = _lock_with_payment(order_id)
    if order.status != S.PENDING_PAYMENT or order.expires_at > timezone.now():
        return False
    _cancel_locked(order, actor=None, reason="not paid in time")
    return True


def orders_expire_unpaid() -> int:
    """Periodic: expires unpaid orders past their window, each in its own transaction."""
    due = Order.objects.filter(
        status=S.PENDING_PAYMENT, expires_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:500]
    return sum(1 for order_id in list(due) if order_expire(order_id=order_id))


# --- dispensing ------------------------------------------------------------------------------


@transaction.atomic
def order_dispense(
    *,
    order_id: int,
    pharmacist: Any,
    approve: bool = True,
    note: str = "",
    traceability_codes: Mapping[int, Iterable[str]] | None = None,
) -> Order:
    """The pharmacist verifies a paid prescription order against its prescriptions, picks its
    lots (earliest expiry first) and scans the traceability code of every prescription pack; or
    refuses it (the order is cancelled and refunded)."""
    if not is_pharmacist(pharmacist):
        raise NotAllowed(_("Only a pharmacist may dispense prescription orders."))
    order = _lock_with_payment(order_id)
    if order.status == S.PACKING and order.verified_by_id is not None and approve:
        return order
    if order.status != S.AWAITING_DISPENSING:
        raise Conflict(_("This order is not waiting for a pharmacist."), code="invalid_transition")
    access_log_record(
        actor=pharmacist,
        patient_id=order.lines.values_list("patient_id", flat=True).first(),
        object_type="pharmacy_order",
        object_id=order.pk,
        action="update",
        detail="dispense" if approve else "refuse",
    )
    if not approve:
        if not note.strip():
            raise DomainError(_("Say why the order is refused."), field="note")
        _cancel_locked(order, actor=pharmacist, reason=f"refused by pharmacist: {note}")
        order_notify(
            order,
            kind="pharmacy.order_refused",
            subject=_("The pharmacist could not dispense order %(number)s")
            % {"number": order.number},
            body=note,
        )
        return order
    lapsed = (
        order.lines.filter(prescription_item__isnull=False)
        .exclude(prescription_item__prescription__status=Prescription.Status.APPROVED)
        .exclude(prescription_item__prescription__status=Prescription.Status.EXPIRED)
        .exists()
    )
    if lapsed:
        raise Conflict(
            _("A prescription of this order was voided; refuse the order instead."),
            code="prescription_voided",
        )
    dispensed_packs_record(order=order, codes=traceability_codes or {}, actor=pharmacist)
    order_pick(order=order, actor=pharmacist)
    order.verified_by, order.verified_at = pharmacist, timezone.now()
    status_change(
        order,
        S.PACKING,
        actor=pharmacist,
        note=note or "verified",
        fields=("verified_by", "verified_at"),
    )
    from pharmacy.tasks import create_shipment

    outbox_enqueue(create_shipment, order_id=order.pk)
    return order


@transaction.atomic
def order_fulfil(*, order_id: int) -> Order | None:
    """Picks an OTC order that is packing (the warehouse's pick list, earliest expiry first).
    A short pick (lots expired under a reservation) is left for an operator."""
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or order.status != S.PACKING or order.picked_at is not None:
        return order
    try:
        with transaction.atomic():
            order_pick(order=order)
    except Conflict as error:
        notification_send_to_operators(
            kind="pharmacy.short_pick",
            subject=_("Order %(number)s cannot be picked") % {"number": order.number},
            body=error.message,
            dedupe_key=f"pharmacy.short_pick:{order.pk}",
            link=f"/admin/pharmacy/order/{order.pk}/change/",
        )
        return None
    return order


# --- after delivery ---------------------------------------------------------------------


@transaction.atomic
def order_line_return(
    *, account: Any, order_id: int, line_id: int, quantity: int, reason: str
) -> OrderLine:
    """Returns delivered non-drug items within the return window; refunds their price.
    Medicines are never taken back once delivered (a quality problem is a complaint)."""
    if not Order.objects.filter(pk=order_id, account=account).exists():
        raise NotFound(_("No such order."))
    order = _lock_with_payment(order_id)
    line = OrderLine.objects.select_for_update().filter(pk=line_id, order=order).first()
    if line is None:
        raise NotFound(_("No such order line."), field="line")
    if not line.is_returnable:
        raise DomainError(
            _("Medicines cannot be returned once delivered. Report a quality problem instead."),
            field="line",
            code="not_returnable",
        )
    if order.status != S.DELIVERED or order.delivered_at is None:
        raise Conflict(
            _("Items can be returned once the order is delivered."), code="not_delivered"
        )
    if timezone.now() > order.delivered_at + dt.timedelta(days=figure("RETURN_WINDOW_DAYS")):
        raise Conflict(
            _("The return window of this order has closed."), code="return_window_closed"
        )
    left = line.quantity - line.returned_quantity
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= left:
        raise DomainError(
            _("Choose between 1 and %(left)s packs.") % {"left": left}, field="quantity"
        )
    if not reason.strip():
        raise DomainError(_("Say why you return it."), field="reason")
    line.returned_quantity += quantity
    line.save(update_fields=["returned_quantity"])
    # Only medicine bought on prescription is settled with insurance, and medicine is never
    # returned: what is returned here the buyer paid in full.
    amount = line.unit_price * quantity
    if order.payment_id is not None and amount > 0:
        payment = Payment.objects.get(pk=order.payment_id)
        amount = min(amount, payment.refundable_amount)
        if amount > 0:
            payment_refund(
                payment_id=order.payment_id,
                amount=amount,
                reason=f"return of {quantity} × {line.product_name}"[:200],
                requested_by=acting_user(account),
            )
    OrderEvent.objects.create(
        order=order,
        from_status=order.status,
        to_status=order.status,
        actor=acting_user(account),
        note=f"returned {quantity} × {line.product_name}: {reason}"[:200],
    )
    return line


def order_complaint_submit(*, account: Any, order_id: int, text: str) -> None:
    """A quality complaint about delivered goods goes to the operators (medicines are not
    returnable, so this is the patient's way to be heard)."""
    order = Order.objects.filter(pk=order_id, account=account).first()
    if order is None:
        raise NotFound(_("No such order."))
    if not text.strip():
        raise DomainError(_("Describe the problem."), field="text")
    if order.status not in (S.SHIPPED, S.DELIVERED):
        raise Conflict(_("Complaints are about goods you received."), code="not_delivered")
    with transaction.atomic():
        OrderEvent.objects.create(
            order=order,
            from_status=order.status,
            to_status=order.status,
            actor=acting_user(account),
            note=f"complaint: {text}"[:200],
        )
        notification_send_to_operators(
            kind="pharmacy.quality_complaint",
            subject=_("Quality complaint about order %(number)s") % {"number": order.number},
            body=text[:2000],
            dedupe_key=f"pharmacy.quality_complaint:{order.pk}:{timezone.now().timestamp()}",
            link=f"/admin/pharmacy/order/{order.pk}/change/",
        )
