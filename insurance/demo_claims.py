"""Demo reimbursement claims: the demo patient's outside receipts on the commercial plan, one
claim in each state a claim can be in — just submitted, approved by the rules, in the review
queue, taken by the demo claims officer, approved, adjusted and denied by the officer, paid out.

Each is made the way a real one is: submitted and documented by the patient through the
claim services, adjudicated by the rules, taken from the queue and decided by the demo
claims officer, paid by the payout service. Nothing writes a status. Idempotent: the receipts'
numbers are the claims' expenses, and a policy's expense is claimed once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.demo import DEMO_CLAIMS_OFFICER_EMAIL
from accounts.models import User
from core.pdf import plain_text_pdf
from insurance.adjudication import ClaimLine, ItemCategory
from insurance.models import Claim, Policy
from insurance.services.claims import (
    LineDecision,
    claim_adjudicate,
    claim_decide,
    claim_document_add,
    claim_pay_out,
    claim_submit,
    claim_take_next,
)

# Outside receipts are numbered by the hospital that issued them; ours say they are the demo's.
RECEIPT_PREFIX = "DEMO-RCPT-"
OUTSIDE_HOSPITAL = "北京市朝阳区示例社区卫生服务中心"


@dataclass(frozen=True)
class DemoClaim:
    number: str
    days_ago: int
    lines: tuple[tuple[ItemCategory, str, str, int], ...]  # category, code, description, fen
    with_receipt: bool = True


APPROVED_BY_RULES = DemoClaim(
    "0001", 60, ((ItemCategory.VISIT, "outpatient-visit", "门诊诊查费", 30_000),)
)
PAID = DemoClaim(
    "0002",
    55,
    (
        (ItemCategory.VISIT, "outpatient-visit", "门诊诊查费", 5_000),
        (ItemCategory.DRUG_JIA, "XC08CAA017A001010100785", "苯磺酸氨氯地平片", 20_000),
    ),
)
APPROVED_BY_OFFICER = DemoClaim(
    "0003",
    40,
    (
        (ItemCategory.VISIT, "specialist-visit", "专家门诊诊查费", 30_000),
        (ItemCategory.VISIT, "ultrasound", "心脏彩色多普勒超声", 120_000),
    ),
)
ADJUSTED = DemoClaim(
    "0004", 30, ((ItemCategory.VISIT, "cardiac-ct", "冠状动脉CT血管成像", 190_000),)
)
DENIED = DemoClaim(
    "0005", 25, ((ItemCategory.VISIT, "outpatient-visit", "门诊诊查费", 8_000),), False
)
TAKEN = DemoClaim("0006", 15, ((ItemCategory.VISIT, "holter", "24小时动态心电图", 160_000),))
IN_QUEUE = DemoClaim(
    "0007", 10, ((ItemCategory.VISIT, "outpatient-visit", "门诊诊查费", 12_000),), False
)
SUBMITTED = DemoClaim("0008", 3, ((ItemCategory.VISIT, "outpatient-visit", "门诊诊查费", 6_000),))

ADJUSTED_TO_FEN = 100_000
ADJUST_NOTE = "按本市同类检查的合理费用标准核定为1000元。"
DENY_NOTE = "未上传收据或费用清单，无法核实费用；补充材料后可重新申请。"


def _receipt(claim: DemoClaim, day: dt.date) -> SimpleUploadedFile:
    total = sum(fen for *_rest, fen in claim.lines)
    pdf = plain_text_pdf(
        [
            "Outpatient receipt (demo)",
            f"No. {RECEIPT_PREFIX}{claim.number}, {day.isoformat()}",
            f"Total CNY {total / 100:.2f}",
        ]
    )
    return SimpleUploadedFile(f"receipt-{claim.number}.pdf", pdf, content_type="application/pdf")


def _submit(policy: Policy, claim: DemoClaim, today: dt.date) -> Claim:
    day = today - dt.timedelta(days=claim.days_ago)
    lines = [
        ClaimLine(str(n), day, category, code, fen)
        for n, (category, code, _description, fen) in enumerate(claim.lines, start=1)
    ]
    filed = claim_submit(
        account=policy.patient.account,
        policy_id=policy.pk,
        expense_reference=f"{RECEIPT_PREFIX}{claim.number}",
        lines=lines,
        descriptions={
            str(n): f"{OUTSIDE_HOSPITAL} {description}"
            for n, (_category, _code, description, _fen) in enumerate(claim.lines, start=1)
        },
        is_outside_receipt=True,
    )
    if claim.with_receipt:
        claim_document_add(
            account=policy.patient.account, claim_id=filed.pk, upload=_receipt(claim, day)
        )
    return filed


def _take(officer: User, claim: Claim) -> bool:
    taken = claim_take_next(officer=officer)
    return taken is not None and taken.pk == claim.pk


def _decide(officer: User, claim: Claim, decision: str, **line: Any) -> None:
    claim_decide(
        officer=officer,
        claim_id=claim.pk,
        decisions=[
            LineDecision(ref=row.ref, decision=decision, **line)
            for row in claim.lines.order_by("id")
        ],
    )


def seed_claims_demo(*, policy: Policy, stdout: Any) -> None:
    officer = User.objects.filter(email=DEMO_CLAIMS_OFFICER_EMAIL).first()
    if officer is None:
        stdout.write("  skipped the demo claims: no demo claims officer")
        return
    if Claim.objects.filter(policy=policy, expense_reference__startswith=RECEIPT_PREFIX).exists():
        stdout.write("  kept the demo claims")
        return
    if Claim.objects.filter(status=Claim.Status.IN_REVIEW).exists():
        # The queue hands out the oldest claim first: with others waiting, the officer would
        # take someone else's.
        stdout.write("  skipped the demo claims: the review queue is not empty")
        return
    today = timezone.localdate()

    claim_adjudicate(claim_id=_submit(policy, APPROVED_BY_RULES, today).pk)
    paid = claim_adjudicate(claim_id=_submit(policy, PAID, today).pk)
    claim_pay_out(claim_id=paid.pk)

    # Over the plan's review threshold, without documents, over the threshold again: each goes
    # to the queue, and the officer takes and decides it before the next one arrives.
    for demo, decision, line in (
        (APPROVED_BY_OFFICER, "approve", {}),
        (DENIED, "deny", {"note": DENY_NOTE}),
        (ADJUSTED, "adjust", {"approved_fen": ADJUSTED_TO_FEN, "note": ADJUST_NOTE}),
    ):
        claim = claim_adjudicate(claim_id=_submit(policy, demo, today).pk)
        if not _take(officer, claim):
            stdout.write(f"  stopped the demo claims: {demo.number} did not go to the officer")
            return
        _decide(officer, claim, decision, **line)

    taken = claim_adjudicate(claim_id=_submit(policy, TAKEN, today).pk)
    _take(officer, taken)  # the officer is looking at it
    claim_adjudicate(claim_id=_submit(policy, IN_QUEUE, today).pk)  # no receipt: to review
    _submit(policy, SUBMITTED, today)  # the rules' task takes it from here
    stdout.write(
        "  demo claims: approved by the rules, paid out, approved, adjusted and denied by the "
        "claims officer, one taken by them, one waiting in the queue, one just submitted"
    )
