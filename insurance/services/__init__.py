"""Writes and state transitions of insurance: one function per domain operation."""

from insurance.services.claims import (
    claim_adjudicate,
    claim_decide,
    claim_document_add,
    claim_pay_out,
    claim_readjudicate,
    claim_return_to_queue,
    claim_submit,
    claim_take_next,
    claims_pay_out_approved,
)
from insurance.services.policies import policy_add
from insurance.services.settlement import (
    settlement_confirm,
    settlement_quote,
    settlement_refresh,
    settlement_reverse,
    settlements_refresh_pending,
)

__all__ = [
    "claim_adjudicate",
    "claim_decide",
    "claim_document_add",
    "claim_pay_out",
    "claim_readjudicate",
    "claim_return_to_queue",
    "claim_submit",
    "claim_take_next",
    "claims_pay_out_approved",
    "policy_add",
    "settlement_confirm",
    "settlement_quote",
    "settlement_refresh",
    "settlement_reverse",
    "settlements_refresh_pending",
]
