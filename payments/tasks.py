from celery import shared_task

from payments.services import refund_submit


@shared_task(acks_late=True)
def submit_refund(refund_id: int) -> None:
    refund_submit(refund_id=refund_id)
