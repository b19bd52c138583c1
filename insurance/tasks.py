"""Celery entry points of insurance: thin, idempotent, each calls one service."""

from celery import shared_task

from insurance.services.claims import claim_adjudicate, claims_pay_out_approved
from insurance.services.reconciliation import reconciliation_previous_day
from insurance.services.settlement import settlements_refresh_pending


@shared_task(acks_late=True)
def adjudicate_claim(claim_id: int) -> str:
    # A claim already adjudicated is returned as it is: a redelivered task does nothing twice.
    return claim_adjudicate(claim_id=claim_id).status


@shared_task(acks_late=True)
def pay_out_approved_claims() -> int:
    # A claim already paid is not approved any more: a redelivered run pays nothing twice.
    return claims_pay_out_approved()


@shared_task(acks_late=True)
def reconcile_previous_day() -> int:
    # Re-running a day replaces its run: a redelivered task reports the same day once.
    return reconciliation_previous_day().differences_count


@shared_task(acks_late=True)
def refresh_pending_settlements() -> int:
    # 6301 for each pending settlement; one already confirmed is left as it is.
    return settlements_refresh_pending()


@shared_task(acks_late=True)
def upload_prescription_circulation(**prescription: object) -> str:
    # 7101 once per prescription: a redelivered task finds the upload and does nothing twice.
    from insurance.services.prescriptions import prescription_circulation_upload

    upload = prescription_circulation_upload(**prescription)  # type: ignore[arg-type]
    return upload.hi_rxno if upload is not None else ""
