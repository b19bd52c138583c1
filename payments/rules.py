"""Payment figures and the order in which gateway statuses may follow each other."""

from __future__ import annotations

from payments.models import Payment

S = Payment.Status

# Statuses a gateway may report in a callback.
CALLBACK_STATUSES = frozenset({"pending", "paid", "failed", "cancelled"})

# Callbacks arrive out of order and more than once. A reported status is applied only if it
# moves the payment forward: a late "pending" after "paid" changes nothing, nor does "failed".
STATUS_RANK = {
    S.WAITING: 0,
    S.FAILED: 1,
    S.CANCELLED: 1,
    S.PAID: 2,
    S.PARTIALLY_REFUNDED: 3,
    S.REFUNDED: 4,
}
REPORTED_TO_STATUS = {
    "pending": S.WAITING,
    "failed": S.FAILED,
    "cancelled": S.CANCELLED,
    "paid": S.PAID,
}
