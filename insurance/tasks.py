"""Celery entry points of insurance: thin, idempotent, each calls one service."""

from celery import shared_task

from insurance.services.claims import claim_adjudicate


@shared_task(acks_late=True)
def adjudicate_claim(claim_id: int) -> str:
    # A claim already adjudicated is returned as it is: a redelivered task does nothing twice.
    return claim_adjudicate(claim_id=claim_id).status
