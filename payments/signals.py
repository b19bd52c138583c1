"""How payments tells the apps that charge through it what happened, without importing them.

Sent inside the transaction that changed the payment, so a receiver's writes (confirming a
booking, asking for a refund) commit or roll back together with the payment.
"""

from django.dispatch import Signal

# kwargs: payment (locked, already saved with its new status)
payment_succeeded = Signal()
payment_closed_unpaid = Signal()
