"""A sentence the patient can read for each reason code of the engine, in the reader's language.

Stored splits keep the code and the amount; the sentence is rendered when read, so a patient
reading in English never sees a reason written in Chinese at settlement time, or the reverse.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from insurance.adjudication import ReasonCode

R = ReasonCode

SENTENCES: dict[ReasonCode, Promise] = {
    R.NOT_ACTIVE: _("No active insurance policy covered this on its date: ¥%(amount)s is yours."),
    R.NOT_LISTED: _("Not in the medical-insurance catalogue, so self-paid: ¥%(amount)s."),
    R.CATEGORY_BING: _("A category C item is self-paid: ¥%(amount)s."),
    R.SELF_PAID_PORTION: _("A category B drug has a first portion you pay yourself: ¥%(amount)s."),
    R.DEDUCTIBLE: _("Counted toward this year's deductible: ¥%(amount)s."),
    R.COPAYMENT: _("Your share above what the plan pays at its ratio: ¥%(amount)s."),
    R.OVER_CAP: _("This year's cap is reached; not paid by the pool: ¥%(amount)s."),
    R.CHRONIC_DISEASE: _("Paid at the chronic and special disease ratio: ¥%(amount)s."),
    R.PERSONAL_ACCOUNT: _("Paid from your personal account: ¥%(amount)s."),
    R.WAITING_PERIOD: _("Within the policy's waiting period, so not covered: ¥%(amount)s."),
    R.EXCLUDED_DIAGNOSIS: _("The diagnosis is excluded by the plan: ¥%(amount)s not covered."),
    R.EXCLUDED_DRUG: _("The drug is excluded by the plan: ¥%(amount)s not covered."),
    R.PER_CLAIM_MAXIMUM: _("Over the plan's maximum for one claim: ¥%(amount)s not paid."),
    R.ANNUAL_MAXIMUM: _("Over the plan's maximum for the year: ¥%(amount)s not paid."),
    R.COMMERCIAL_COINSURANCE: _("Your coinsurance share under the plan: ¥%(amount)s."),
    R.NO_DRUG_CODE: _(
        "The drug has no national medical-insurance code yet, so self-paid: ¥%(amount)s."
    ),
}


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def reason_sentence(code: str, amount_fen: int) -> str:
    """The reason in the active language; an unknown code (from a newer version) is shown as
    itself rather than failing the page."""
    sentence = SENTENCES.get(ReasonCode(code)) if code in ReasonCode._value2member_map_ else None
    if sentence is None:
        return f"{code}: ¥{yuan(amount_fen)}"
    return str(sentence) % {"amount": yuan(amount_fen)}
